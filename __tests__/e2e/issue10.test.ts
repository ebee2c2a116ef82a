/**
 * Issue #10 on the bundles: (1) a main step SIGKILLed while CreateDeployment is in flight, then the post
 * step with the state it saved; (5) what the test command receives, and that its writes to the file
 * commands never reach the action's state or outputs.
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

/** Resolves once `check` holds, polling every 50 ms (real time), for at most 30 s. */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in 30 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a main step killed while CreateDeployment is in flight', () => {
  it(
    'the post step finds the deployment by the run mark and stops it with rollback',
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
});

describe('what the test command receives', () => {
  it(
    "a run: step's environment, without the runtime token or the inputs; its writes change nothing of the action's",
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
