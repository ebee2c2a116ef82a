/**
 * The official action's inputs that users rely on, run by the bundle (dist/index.js) against the emulator
 * (issue 16): register-only (no service), run-task before the deployment (success, and failure that changes
 * no service), force-new-deployment with the revision an ECS service runs, desired-count and tags on an ECS
 * service and on a CODE_DEPLOY one, and the refusals before any change (the managed EBS volume on
 * CODE_DEPLOY, wait-until: ready where nothing holds the deployment, a bad run-task input).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import type { NativeServiceOptions, SeededNativeService } from '../../emulator/ecs-native/index.js';
import type { ActionRunOptions, ActionRunResult } from '../../scripts/action-runner.js';
import { annotations, callNames, inspect, nativeDeploy, startWorld, type World } from './harness.js';

const LONG = 120_000;
const HOLD = { actionOnTimeout: 'STOP_DEPLOYMENT' as const, waitTimeInMinutes: 60 };
const SUBNETS = { 'run-task-subnets': 'subnet-0a1b2c3d', 'run-task-security-groups': 'sg-0a1b2c3d' };
/** the calls that change something in AWS */
const CHANGES = ['RegisterTaskDefinition', 'RunTask', 'UpdateService', 'CreateDeployment'];

let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

function changes(w: World): string[] {
  return callNames(w.emulator).filter((a) => CHANGES.includes(a));
}

interface NativeWorld {
  world: World;
  s: SeededNativeService;
  deploy(inputs?: Record<string, string | undefined>, options?: ActionRunOptions): Promise<ActionRunResult>;
}

/** An ECS-controller service, the template's roles scoped to it (`stack`: more stack parameters). */
async function nativeWorld(
  o: NativeServiceOptions,
  stack: Record<string, string> = {},
): Promise<NativeWorld> {
  world = await startWorld({ clockScale: 60 });
  const w = world;
  const s = w.emulator.seed.ecsNativeService({ bakeTimeInMinutes: 1, ...o });
  w.useService(s, stack);
  return { world: w, s, deploy: nativeDeploy(w, s) };
}

async function describe1(w: World, cluster: string, service: string) {
  const out = await inspect(w).ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
  return out.services![0]!;
}

describe('without a service (register only)', () => {
  it(
    'registers the revision, outputs its ARN, deploys nothing, and says so in the summary',
    async () => {
      world = await startWorld();
      const before = await inspect(world).runningTaskDefinition();
      const from = world.emulator.calls.length;
      const result = await world.deploy({ service: undefined, 'codedeploy-appspec': undefined });
      const actionCalls = world.emulator.calls.slice(from).map((c) => c.action);
      expect(annotations(result.stdout)).toEqual([]);
      expect(result.exitCode).toBe(0);
      const arn = result.outputs['task-definition-arn'] as string;
      expect(arn).toMatch(/:task-definition\/web:2$/);
      expect(await inspect(world).revisions()).toContain(arn);
      expect(changes(world)).toEqual(['RegisterTaskDefinition']);
      expect(actionCalls).toEqual(['GetIDToken', 'AssumeRoleWithWebIdentity', 'RegisterTaskDefinition']);
      expect(await inspect(world).runningTaskDefinition()).toBe(before);
      expect(result.outputs['deployment-id']).toBeUndefined();
      expect(result.summary).toMatch(/^## ✅ Registered web:2 \(no service: nothing deployed\)/);
      expect(result.stdout).toContain(`No service given: registered ${arn}; nothing was deployed.`);
    },
    LONG,
  );

  it(
    'runs run-task on the new revision and waits for it, as the official action does without a service',
    async () => {
      world = await startWorld();
      const result = await world.deploy({
        service: undefined,
        'codedeploy-appspec': undefined,
        'run-task': 'true',
        'wait-for-task-stopped': 'true',
        ...SUBNETS,
      });
      expect(result.exitCode).toBe(0);
      const arn = result.outputs['task-definition-arn'] as string;
      const tasks = world.emulator.oneOffTasks.tasks();
      expect(tasks).toHaveLength(1);
      expect(tasks[0]?.taskDefinitionArn).toBe(arn);
      expect(JSON.parse(result.outputs['run-task-arn'] as string)).toEqual([tasks[0]?.taskArn]);
      expect(changes(world)).toEqual(['RegisterTaskDefinition', 'RunTask']);
      expect(result.summary).toMatch(/### One-off task \(run-task\)/);
      expect(result.summary).toMatch(/\| `web` \| yes \| 0 \| {2}\|/);
    },
    LONG,
  );
});

describe('run-task before the deployment', () => {
  it(
    'CODE_DEPLOY: the task runs on the new revision with the inputs given, stops with exit 0, then CreateDeployment',
    async () => {
      world = await startWorld();
      const result = await world.deploy({
        'run-task': 'true',
        'wait-for-task-stopped': 'true',
        ...SUBNETS,
        'run-task-assign-public-IP': 'ENABLED',
        'run-task-container-overrides': JSON.stringify([{ name: 'web', command: ['npm', 'run', 'migrate'] }]),
        'run-task-tags': JSON.stringify([{ key: 'purpose', value: 'migration' }]),
        'run-task-started-by': 'migrations',
        'wait-until': 'succeeded',
      });
      expect(annotations(result.stdout)).toEqual([]);
      expect(result.exitCode).toBe(0);
      const arn = result.outputs['task-definition-arn'] as string;
      expect(changes(world)).toEqual(['RegisterTaskDefinition', 'RunTask', 'CreateDeployment']);
      const [task] = world.emulator.oneOffTasks.tasks();
      expect(task?.taskDefinitionArn).toBe(arn);
      expect(task?.request).toMatchObject({
        cluster: world.seeded.cluster,
        startedBy: 'migrations',
        launchType: 'FARGATE',
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: ['subnet-0a1b2c3d'],
            securityGroups: ['sg-0a1b2c3d'],
            assignPublicIp: 'ENABLED',
          },
        },
        overrides: { containerOverrides: [{ name: 'web', command: ['npm', 'run', 'migrate'] }] },
        tags: [{ key: 'purpose', value: 'migration' }],
      });
      // the deployment started only after the task had stopped
      const stoppedLine = result.stdout.indexOf('stopped: every essential container exited 0');
      expect(stoppedLine).toBeGreaterThan(0);
      expect(result.stdout.indexOf('Created deployment')).toBeGreaterThan(stoppedLine);
      expect(result.outputs['deployment-status']).toBe('Succeeded');
      expect(result.summary).toMatch(/One-off task \S+ stopped: every essential container exited 0\./);
    },
    LONG,
  );

  it(
    'ECS: an essential container exiting 1 fails the step before UpdateService, naming it, with the stopped reason in the log and summary only',
    async () => {
      const n = await nativeWorld({ strategy: 'ROLLING' });
      n.world.emulator.oneOffTasks.script({ exitCodes: { [n.s.containerName]: 1 } });
      const result = await n.deploy({ 'run-task': 'true', 'wait-for-task-stopped': 'true', ...SUBNETS });
      expect(result.exitCode).not.toBe(0);
      expect(changes(n.world)).toEqual(['RegisterTaskDefinition', 'RunTask']);
      expect((await describe1(n.world, n.s.cluster, n.s.service)).taskDefinition).toBe(n.s.taskDefinitionArn);
      const errors = annotations(result.stdout);
      expect(errors).toEqual([
        `One-off task failed: container ${n.s.containerName} exited 1; no service was changed. ECS's stopped reason is in the log and the job summary.`,
      ]);
      expect(result.stdout).toMatch(
        /task \S+ stopped \(EssentialContainerExited\): Essential container in task exited/,
      );
      expect(result.summary.startsWith(`## ❌ One-off task failed on ${n.s.family}:2`)).toBe(true);
      expect(result.summary).toMatch(new RegExp(`\\| \`${n.s.containerName}\` \\| yes \\| 1 \\|`));
      expect(result.outputs['deployment-id']).toBeUndefined();
    },
    LONG,
  );

  it(
    'CODE_DEPLOY: a task that fails to start changes no service; its reason is kept inert in the summary',
    async () => {
      world = await startWorld();
      const before = await inspect(world).runningTaskDefinition();
      world.emulator.oneOffTasks.script({
        failToStart: 'CannotPullContainerError: pull access denied ::error::x | `y`',
      });
      const result = await world.deploy({ 'run-task': 'true', 'wait-for-task-stopped': 'true', ...SUBNETS });
      expect(result.exitCode).not.toBe(0);
      expect(changes(world)).toEqual(['RegisterTaskDefinition', 'RunTask']);
      expect(await inspect(world).runningTaskDefinition()).toBe(before);
      expect(annotations(result.stdout).join('\n')).toMatch(/container web has no exit code/);
      expect(annotations(result.stdout).join('\n')).not.toMatch(/CannotPull/);
      expect(result.summary).toContain('CannotPullContainerError: pull access denied ::error::x \\| \\`y\\`');
    },
    LONG,
  );
});

describe('service settings on an ECS service', () => {
  it(
    'force-new-deployment with the revision the service runs starts a deployment and follows it',
    async () => {
      const n = await nativeWorld({ strategy: 'ROLLING' });
      const result = await n.deploy({
        'task-definition': undefined,
        'task-definition-arn': n.s.taskDefinitionArn,
        'container-name': undefined,
        image: undefined,
        'force-new-deployment': 'true',
        'wait-until': 'succeeded',
      });
      expect(annotations(result.stdout, 'warning').join('\n')).not.toMatch(/nothing would happen/);
      expect(result.exitCode).toBe(0);
      expect(result.outputs['deployment-id']).toMatch(/:service-deployment\//);
      expect(result.outputs['deployment-status']).toBe('SUCCESSFUL');
      expect(changes(n.world)).toEqual(['UpdateService']);
      expect(result.stdout).toMatch(/UpdateService: \S+ → \S+, force new deployment;/);
    },
    LONG,
  );

  it(
    'without it the same revision warns that nothing would happen and names force-new-deployment',
    async () => {
      const n = await nativeWorld({ strategy: 'ROLLING' });
      const result = await n.deploy({
        'task-definition': undefined,
        'task-definition-arn': n.s.taskDefinitionArn,
        'container-name': undefined,
        image: undefined,
      });
      expect(annotations(result.stdout, 'warning').join('\n')).toMatch(
        /nothing would happen\. Register a new revision, or set force-new-deployment: true\./,
      );
      expect(result.exitCode).not.toBe(0);
    },
    LONG,
  );

  it(
    'desired-count, enable-ecs-managed-tags and propagate-tags go in the UpdateService that deploys',
    async () => {
      const n = await nativeWorld({ strategy: 'BLUE_GREEN' });
      const result = await n.deploy({
        'desired-count': '3',
        'enable-ecs-managed-tags': 'true',
        'propagate-tags': 'SERVICE',
        'wait-until': 'succeeded',
      });
      expect(annotations(result.stdout)).toEqual([]);
      expect(result.exitCode).toBe(0);
      expect(changes(n.world)).toEqual(['RegisterTaskDefinition', 'UpdateService']);
      const after = await describe1(n.world, n.s.cluster, n.s.service);
      expect(after).toMatchObject({
        taskDefinition: result.outputs['task-definition-arn'],
        desiredCount: 3,
        enableECSManagedTags: true,
        propagateTags: 'SERVICE',
      });
      expect(result.stdout).toMatch(/new revision: 3\/3 running/);
    },
    LONG,
  );

  it(
    'the managed EBS volume goes in the UpdateService as volumeConfigurations',
    async () => {
      const roleArn = 'arn:aws:iam::111111111111:role/ecsInfra';
      // the deploy role passes the volume's role to ECS: the stack lists it (EcsNativePassRoleArns)
      const n = await nativeWorld({ strategy: 'ROLLING' }, { EcsNativePassRoleArns: roleArn });
      expect(n.world.emulator.accountId).toBe('111111111111');
      const volume = { roleArn, sizeInGiB: 20 };
      const result = await n.deploy({
        'service-managed-ebs-volume-name': 'data',
        'service-managed-ebs-volume': JSON.stringify(volume),
      });
      expect(result.exitCode).toBe(0);
      const primary = (await describe1(n.world, n.s.cluster, n.s.service)).deployments?.find(
        (d) => d.status === 'PRIMARY',
      );
      expect(primary?.taskDefinition).toBe(result.outputs['task-definition-arn']);
      expect(primary?.volumeConfigurations).toEqual([{ name: 'data', managedEBSVolume: volume }]);
    },
    LONG,
  );
});

describe('service settings on a CODE_DEPLOY service', () => {
  it(
    'desired-count and tags: UpdateService of those alone right before CreateDeployment; the replacement is sized by it',
    async () => {
      world = await startWorld({ service: { desiredCount: 2 } });
      const result = await world.deploy({
        'desired-count': '3',
        'propagate-tags': 'TASK_DEFINITION',
        'wait-until': 'succeeded',
      });
      expect(annotations(result.stdout)).toEqual([]);
      expect(result.exitCode).toBe(0);
      expect(changes(world)).toEqual(['RegisterTaskDefinition', 'UpdateService', 'CreateDeployment']);
      const after = await describe1(world, world.seeded.cluster, world.seeded.service);
      expect(after.desiredCount).toBe(3);
      expect(after.propagateTags).toBe('TASK_DEFINITION');
      const primary = after.taskSets?.find((t) => t.status === 'PRIMARY');
      expect(primary?.taskDefinition).toBe(result.outputs['task-definition-arn']);
      expect(primary?.computedDesiredCount).toBe(3);
    },
    LONG,
  );

  it(
    'refuses the managed EBS volume before any change, saying why',
    async () => {
      world = await startWorld();
      const result = await world.deploy({
        'service-managed-ebs-volume-name': 'data',
        'service-managed-ebs-volume': '{"roleArn":"arn:aws:iam::111111111111:role/ecsInfra"}',
      });
      expect(result.exitCode).not.toBe(0);
      expect(annotations(result.stdout).join('\n')).toMatch(
        /input 'service-managed-ebs-volume-name': cannot be used on a CODE_DEPLOY service: UpdateService takes no volume configuration/,
      );
      expect(changes(world)).toEqual([]);
    },
    LONG,
  );
});

describe('refused before any change', () => {
  it(
    'wait-until: ready on a CodeDeploy group that does not hold the replacement',
    async () => {
      world = await startWorld();
      const result = await world.deploy({ 'wait-until': 'ready' });
      expect(result.exitCode).not.toBe(0);
      expect(annotations(result.stdout).join('\n')).toMatch(
        /does not hold the replacement task set for validation, so 'wait-until: ready' would not find it held/,
      );
      expect(changes(world)).toEqual([]);
    },
    LONG,
  );

  it(
    'wait-until: ready on an ECS service without a PAUSE hook at POST_TEST_TRAFFIC_SHIFT',
    async () => {
      const n = await nativeWorld({ strategy: 'BLUE_GREEN' });
      const result = await n.deploy({ 'wait-until': 'ready' });
      expect(result.exitCode).not.toBe(0);
      expect(annotations(result.stdout).join('\n')).toMatch(
        /has no PAUSE lifecycle hook at POST_TEST_TRAFFIC_SHIFT, so 'wait-until: ready' would not find the deployment held/,
      );
      expect(changes(n.world)).toEqual([]);
    },
    LONG,
  );

  it(
    'a run-task input that is not JSON: nothing registered, nothing run',
    async () => {
      world = await startWorld({ service: { readyOption: HOLD } });
      const result = await world.deploy({
        'run-task': 'true',
        'run-task-container-overrides': 'command=migrate',
      });
      expect(result.exitCode).not.toBe(0);
      expect(annotations(result.stdout).join('\n')).toMatch(
        /input 'run-task-container-overrides': is not valid JSON/,
      );
      expect(changes(world)).toEqual([]);
    },
    LONG,
  );
});
