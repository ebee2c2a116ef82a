/**
 * Steering a deployment, end to end on the bundles: the test-traffic gate, promote, rollback, cancel
 * (SIGINT to the main step, then the post step with STATE_* as the runner runs it) and the
 * on-active-deployment modes; and the main step's boundaries (issue #10): killed while CreateDeployment
 * is in flight, and what the test command receives.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { annotations, inspect, startWorld, type World } from './harness.js';

const LONG = 120_000;
const HOLD = { actionOnTimeout: 'STOP_DEPLOYMENT' as const, waitTimeInMinutes: 60 };

let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

function awsInputs(w: World): Record<string, string> {
  return { 'aws-region': w.emulator.region, 'role-to-assume': w.roleArn };
}

describe('test-traffic gate', () => {
  it(
    'passes: the command sees the deployment and the test listener, then traffic is rerouted',
    async () => {
      world = await startWorld({
        service: { readyOption: HOLD, deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce' },
      });
      const result = await world.deploy({
        'wait-until': 'succeeded',
        'test-command':
          'echo "gate saw $CODEDEPLOY_DEPLOYMENT_ID at $TEST_LISTENER_URL for $TASK_DEFINITION_ARN"',
      });
      expect(result.exitCode).toBe(0);
      const id = result.outputs['codedeploy-deployment-id'] as string;
      expect(result.stdout).toContain(`gate saw ${id} at http://`);
      expect(result.stdout).toMatch(/:8080 for arn:aws:ecs:.*:task-definition\/web:2/);
      expect(world.emulator.calls.some((c) => c.action === 'ContinueDeployment')).toBe(true);
      expect((await inspect(world).deployment(id)).status).toBe('Succeeded');
    },
    LONG,
  );

  it.each([
    ['fails', 'echo "2 of 5 checks failed"; exit 3', {}, /exit code 3|exited with 3/],
    ['times out', 'sleep 120', { 'test-timeout-minutes': '1' }, /timed out|timeout/i],
  ])(
    '%s: the deployment is stopped with rollback, the rollback followed, the step fails',
    async (_name, command, extra, why) => {
      world = await startWorld({
        service: { readyOption: HOLD, deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce' },
      });
      const result = await world.deploy({ 'wait-until': 'succeeded', 'test-command': command, ...extra });
      expect(result.exitCode).toBe(1);
      expect(annotations(result.stdout).join('\n')).toMatch(why);
      const id = result.outputs['codedeploy-deployment-id'] as string;
      const deployment = await inspect(world).deployment(id);
      expect(deployment.status).toBe('Stopped');
      expect(world.emulator.calls.some((c) => c.action === 'ContinueDeployment')).toBe(false);
      const rollbackId = deployment.rollbackInfo?.rollbackDeploymentId as string;
      expect(rollbackId).toMatch(/^d-/);
      expect(result.stdout).toContain(rollbackId);
      expect((await inspect(world).deployment(rollbackId)).status).toBe('Succeeded');
      expect(await inspect(world).runningTaskDefinition()).toMatch(/:task-definition\/web:1$/);
    },
    LONG,
  );

  it(
    'refuses a test-command when the group does not hold the replacement, before any change',
    async () => {
      world = await startWorld();
      const before = world.emulator.snapshot();
      const result = await world.deploy({ 'wait-until': 'succeeded', 'test-command': 'true' });
      expect(result.exitCode).toBe(1);
      expect(annotations(result.stdout).join('\n')).toMatch(/STOP_DEPLOYMENT/);
      expect(world.emulator.snapshot()).toBe(before);
    },
    LONG,
  );
});

describe('promote', () => {
  it(
    'continues a deployment held in Ready (the manual reroute)',
    async () => {
      world = await startWorld({
        service: { readyOption: HOLD, deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce' },
      });
      const deployed = await world.deploy({ 'wait-until': 'ready' });
      expect(deployed.exitCode).toBe(0);
      const id = deployed.outputs['codedeploy-deployment-id'] as string;
      expect((await inspect(world).deployment(id)).status).toBe('Ready');

      const promoted = await world.run('dist/promote/index.js', {
        ...awsInputs(world),
        'deployment-id': id,
        'wait-until': 'succeeded',
      });
      expect(promoted.exitCode).toBe(0);
      expect(promoted.outputs['deployment-status']).toBe('Succeeded');
      expect((await inspect(world).deployment(id)).status).toBe('Succeeded');
      expect(await inspect(world).runningTaskDefinition()).toBe(deployed.outputs['task-definition-arn']);
    },
    LONG,
  );

  it(
    'ends the termination wait early',
    async () => {
      world = await startWorld({
        service: { terminationWaitMinutes: 2000, deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce' },
      });
      const deployed = await world.deploy({ 'wait-until': 'traffic-shifted' });
      expect(deployed.exitCode).toBe(0);
      const id = deployed.outputs['codedeploy-deployment-id'] as string;
      expect((await inspect(world).deployment(id)).status).toBe('InProgress');

      const promoted = await world.run('dist/promote/index.js', {
        ...awsInputs(world),
        'deployment-id': id,
        'wait-until': 'succeeded',
      });
      expect(promoted.exitCode).toBe(0);
      expect((await inspect(world).deployment(id)).status).toBe('Succeeded');
      const continued = world.emulator.calls.filter((c) => c.action === 'ContinueDeployment');
      expect(continued).toHaveLength(1);
    },
    LONG,
  );

  it(
    'a deployment that already succeeded is reported, not continued (a re-run promote job passes)',
    async () => {
      world = await startWorld({
        service: { deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce', terminationWaitMinutes: 0 },
      });
      const deployed = await world.deploy({ 'wait-until': 'succeeded' });
      const id = deployed.outputs['codedeploy-deployment-id'] as string;
      const promoted = await world.run('dist/promote/index.js', { ...awsInputs(world), 'deployment-id': id });
      expect(promoted.exitCode).toBe(0);
      expect(promoted.outputs['deployment-status']).toBe('Succeeded');
      expect(world.emulator.calls.some((c) => c.action === 'ContinueDeployment')).toBe(false);
    },
    LONG,
  );

  it(
    'refuses a deployment that is still shifting traffic, without changing it',
    async () => {
      world = await startWorld({
        service: { deploymentConfig: 'CodeDeployDefault.ECSCanary10Percent15Minutes' },
      });
      const deployed = await world.deploy({ 'wait-until': 'none' });
      const id = deployed.outputs['codedeploy-deployment-id'] as string;
      const promoted = await world.run('dist/promote/index.js', { ...awsInputs(world), 'deployment-id': id });
      expect(promoted.exitCode).toBe(1);
      expect(annotations(promoted.stdout).join('\n')).toMatch(/neither waiting in Ready/);
      expect(world.emulator.calls.some((c) => c.action === 'ContinueDeployment')).toBe(false);
      expect((await inspect(world).deployment(id)).status).toBe('InProgress');
    },
    LONG,
  );
});

describe('rollback', () => {
  it(
    'stops a deployment in flight with rollback and follows the rollback',
    async () => {
      world = await startWorld({
        service: { readyOption: HOLD, deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce' },
      });
      const deployed = await world.deploy({ 'wait-until': 'ready' });
      const id = deployed.outputs['codedeploy-deployment-id'] as string;
      // wait-until succeeded: the default (traffic-shifted) may end a moment before CodeDeploy says Succeeded
      const rolled = await world.run('dist/rollback/index.js', {
        ...awsInputs(world),
        'deployment-id': id,
        'wait-until': 'succeeded',
      });
      expect(rolled.exitCode).toBe(0);
      expect((await inspect(world).deployment(id)).status).toBe('Stopped');
      const rollbackId = rolled.outputs['rollback-deployment-id'] as string;
      expect(rollbackId).toMatch(/^d-/);
      expect(rolled.outputs['deployment-status']).toBe('Stopped');
      expect(rolled.outputs['rollback-status']).toBe('Succeeded');
      expect((await inspect(world).deployment(rollbackId)).status).toBe('Succeeded');
      expect(await inspect(world).runningTaskDefinition()).toMatch(/:task-definition\/web:1$/);
    },
    LONG,
  );

  it(
    'with nothing in flight, redeploys the previous revision and can deregister the rolled-back one',
    async () => {
      world = await startWorld({
        service: { deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce', terminationWaitMinutes: 0 },
      });
      const deployed = await world.deploy({ 'wait-until': 'succeeded' });
      const bad = deployed.outputs['task-definition-arn'] as string;
      expect(await inspect(world).runningTaskDefinition()).toBe(bad);

      // operate.yml in production: redeploying creates a deployment, which only the deploy role may
      const rolled = await world.run(
        'dist/rollback/index.js',
        {
          ...awsInputs(world),
          cluster: world.seeded.cluster,
          service: world.seeded.service,
          'wait-until': 'succeeded',
          'deregister-rolled-back-revision': 'true',
        },
        { job: 'operateProd' },
      );
      expect(rolled.exitCode).toBe(0);
      expect(rolled.outputs['task-definition-arn']).toMatch(/:task-definition\/web:1$/);
      expect(rolled.outputs['deregistered-task-definition-arn']).toBe(bad);
      expect(await inspect(world).runningTaskDefinition()).toMatch(/:task-definition\/web:1$/);
      const { DescribeTaskDefinitionCommand } = await import('@aws-sdk/client-ecs');
      const described = await inspect(world).ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: bad }),
      );
      expect(described.taskDefinition?.status).toBe('INACTIVE');
    },
    LONG,
  );
});

describe('cancel', () => {
  it(
    'SIGINT to the main step stops the deployment with rollback at once',
    async () => {
      world = await startWorld({
        service: { deploymentConfig: 'CodeDeployDefault.ECSCanary10Percent15Minutes' },
      });
      const result = await world.deploy({ 'wait-until': 'succeeded' }, { cancelWhen: /Green 10%/ });
      expect(result.exitCode).not.toBe(0);
      const id = result.state.deploymentId as string;
      expect(id).toMatch(/^d-/);
      expect(result.outputs['deployment-status']).toBe('Stopped');
      const deployment = await inspect(world).deployment(id);
      expect(deployment.status).toBe('Stopped');
      expect(deployment.rollbackInfo?.rollbackDeploymentId).toMatch(/^d-/);
      expect(world.emulator.calls.filter((c) => c.action === 'StopDeployment')).toHaveLength(1);
    },
    LONG,
  );

  it(
    'the post step rolls back what a killed main step left in flight',
    async () => {
      world = await startWorld({
        service: { deploymentConfig: 'CodeDeployDefault.ECSCanary10Percent15Minutes' },
      });
      const main = await world.deploy({ 'wait-until': 'succeeded' }, { killWhen: /Green 10%/ });
      expect(main.signal).toBe('SIGKILL');
      const id = main.state.deploymentId as string;
      expect(main.state.phase).toBe('following');
      expect((await inspect(world).deployment(id)).status).toBe('InProgress');

      const post = await world.deploy(
        { 'wait-until': 'succeeded' },
        { state: main.state, workspace: main.workspace },
      );
      expect(post.exitCode).toBe(0);
      expect(annotations(post.stdout, 'warning').join('\n')).toContain(id);
      expect((await inspect(world).deployment(id)).status).toBe('Stopped');
    },
    LONG,
  );

  it(
    'the post step leaves alone a deployment the main step finished with',
    async () => {
      world = await startWorld({
        service: { deploymentConfig: 'CodeDeployDefault.ECSCanary10Percent15Minutes' },
      });
      const main = await world.deploy({ 'wait-until': 'none' });
      expect(main.exitCode).toBe(0);
      const id = main.outputs['codedeploy-deployment-id'] as string;
      const post = await world.deploy(
        { 'wait-until': 'none' },
        { state: main.state, workspace: main.workspace },
      );
      expect(post.exitCode).toBe(0);
      expect(world.emulator.calls.some((c) => c.action === 'StopDeployment')).toBe(false);
      expect((await inspect(world).deployment(id)).status).toMatch(/InProgress|Created/);
    },
    LONG,
  );
});

describe('on-active-deployment', () => {
  async function startWithOneInFlight(): Promise<{ w: World; first: string }> {
    const w = await startWorld({
      service: { deploymentConfig: 'CodeDeployDefault.ECSCanary10Percent5Minutes' },
    });
    const first = await w.deploy({ 'wait-until': 'none' });
    expect(first.exitCode).toBe(0);
    return { w, first: first.outputs['codedeploy-deployment-id'] as string };
  }

  it(
    'fail (default): names the active deployment and links it; creates nothing',
    async () => {
      const { w, first } = await startWithOneInFlight();
      world = w;
      const result = await w.deploy({ 'wait-until': 'succeeded', image: `${w.image.split('@')[0]}:v2` });
      expect(result.exitCode).toBe(1);
      const errors = annotations(result.stdout).join('\n');
      expect(errors).toContain(first);
      expect(errors).toContain(`codedeploy/deployments/${first}`);
      expect(await inspect(w).deployments()).toHaveLength(1);
    },
    LONG,
  );

  it(
    'wait: follows the active deployment to its end, then deploys',
    async () => {
      const { w, first } = await startWithOneInFlight();
      world = w;
      const result = await w.deploy({ 'wait-until': 'succeeded', 'on-active-deployment': 'wait' });
      expect(result.exitCode).toBe(0);
      const second = result.outputs['codedeploy-deployment-id'] as string;
      expect(second).not.toBe(first);
      expect((await inspect(w).deployment(first)).status).toBe('Succeeded');
      expect((await inspect(w).deployment(second)).status).toBe('Succeeded');
    },
    LONG,
  );

  it(
    'stop: stops the active deployment with rollback, then deploys',
    async () => {
      const { w, first } = await startWithOneInFlight();
      world = w;
      const result = await w.deploy({ 'wait-until': 'succeeded', 'on-active-deployment': 'stop' });
      expect(result.exitCode).toBe(0);
      expect((await inspect(w).deployment(first)).status).toBe('Stopped');
      expect((await inspect(w).deployment(result.outputs['codedeploy-deployment-id'] as string)).status).toBe(
        'Succeeded',
      );
    },
    LONG,
  );
});

/** Resolves once `check` holds, polling every 50 ms (real time), for at most 30 s. */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in 30 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the main step's boundaries (issue #10)", () => {
  it(
    'killed while CreateDeployment is in flight: the post step finds the deployment by the run mark and stops it with rollback',
    async () => {
      const w = (world = await startWorld({
        service: { deploymentConfig: 'CodeDeployDefault.ECSCanary10Percent15Minutes' },
      }));
      // CodeDeploy holds the request 3 s before creating the deployment; the main step dies meanwhile.
      w.emulator.faults.set({ slowMs: 3000, only: { service: 'codedeploy', actions: ['CreateDeployment'] } });
      const sent = until(() => w.emulator.calls.some((c) => c.action === 'CreateDeployment'));
      const runEnv = { GITHUB_RUN_ATTEMPT: '3' };
      const main = await w.deploy({ 'wait-until': 'succeeded' }, { killOn: sent, env: runEnv });
      expect(main.signal).toBe('SIGKILL');
      expect(main.state.phase).toBe('creating');
      expect(main.state.deploymentId).toBeUndefined();
      expect(main.state.runMarker).toMatch(/^\[github-run 1234567890\/3 [0-9a-f]{8}\]$/);

      await until(async () => (await inspect(w).deployments()).length > 0);
      w.emulator.faults.clear();
      const [created] = await inspect(w).deployments();
      const id = created?.deploymentId as string;
      expect(created?.description?.endsWith(` ${main.state.runMarker}`)).toBe(true);
      expect(['Created', 'InProgress']).toContain(created?.status);

      const post = await w.deploy(
        { 'wait-until': 'succeeded' },
        { state: main.state, workspace: main.workspace, env: runEnv },
      );
      expect(post.exitCode).toBe(0);
      expect(post.stdout).toContain(`Found ${id}, created by this run`);
      expect(annotations(post.stdout, 'warning').join('\n')).toMatch(
        new RegExp(
          `${id} was \\w+ after the main step was killed while CreateDeployment was in flight: stopped it with rollback \\(rollback-on-cancel\\)`,
        ),
      );
      expect((await inspect(w).deployment(id)).status).toBe('Stopped');
    },
    LONG,
  );

  it(
    "a long description is cut so that it and the run mark fit CodeDeploy's 256 characters",
    async () => {
      const w = (world = await startWorld({
        service: { deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce' },
      }));
      const given = `${'release notes '.repeat(40)}END`;
      const result = await w.deploy({ 'wait-until': 'none', 'codedeploy-deployment-description': given });
      expect(result.exitCode).toBe(0);
      const id = result.outputs['codedeploy-deployment-id'] as string;
      const description = (await inspect(w).deployment(id)).description ?? '';
      // CodeDeploy would have refused 257 (the emulator does, as the User Guide's limits page says)
      expect(description).toHaveLength(256);
      expect(description.endsWith(`… ${result.state.runMarker}`)).toBe(true);
      expect(description.startsWith('release notes release notes')).toBe(true);
      expect(description).not.toContain('END');
    },
    LONG,
  );

  it(
    "the test command gets a run: step's environment, without the runtime token or the inputs; its writes change nothing of the action's",
    async () => {
      const w = (world = await startWorld({
        service: { readyOption: HOLD, deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce' },
      }));
      const result = await w.deploy(
        {
          'wait-until': 'succeeded',
          'test-command': [
            'env | sort | sed "s/^/test-env: /"',
            'echo "deploymentId=d-EVIL00001" >> "$GITHUB_STATE"',
            'echo "rollbackOnCancel=false" >> "$GITHUB_STATE"',
            'echo "codedeploy-deployment-id=d-EVIL00001" >> "$GITHUB_OUTPUT"',
          ].join('\n'),
        },
        {
          env: {
            ACTIONS_RUNTIME_TOKEN: 'e2e-runtime-token',
            ACTIONS_RUNTIME_URL: 'https://runtime.example/',
            ACTIONS_CACHE_URL: 'https://cache.example/',
            ACTIONS_RESULTS_URL: 'https://results.example/',
          },
        },
      );
      expect(result.exitCode).toBe(0);
      const seen = result.stdout
        .split('\n')
        .filter((line) => line.startsWith('test-env: '))
        .map((line) => line.slice('test-env: '.length));
      expect(seen.some((line) => line.startsWith('CODEDEPLOY_DEPLOYMENT_ID=d-'))).toBe(true);
      expect(seen.some((line) => line.startsWith('GITHUB_RUN_ID=1234567890'))).toBe(true);
      expect(seen.filter((line) => /^(INPUT_|STATE_|ACTIONS_(RUNTIME|CACHE|RESULTS)_)/.test(line))).toEqual(
        [],
      );
      expect(result.stdout).not.toContain('e2e-runtime-token');
      // the credentials the action assumed through OIDC never reach any environment
      expect(seen.some((line) => line.startsWith('AWS_SESSION_TOKEN='))).toBe(false);

      const id = result.outputs['codedeploy-deployment-id'] as string;
      expect(id).toMatch(/^d-/);
      expect(id).not.toBe('d-EVIL00001');
      expect(result.state.deploymentId).toBe(id);
      expect(result.state.rollbackOnCancel).toBe('true');
      expect(result.stdout).toContain('test-command wrote to GITHUB_OUTPUT, GITHUB_STATE: ignored');
      expect((await inspect(w).deployment(id)).status).toBe('Succeeded');
    },
    LONG,
  );
});
