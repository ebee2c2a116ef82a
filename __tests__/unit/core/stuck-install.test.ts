/**
 * A stuck Install, explained: the distinct-reasons logic (codedeploy/diagnostics.ts), the ECS reads
 * (aws/ecs-reads.ts) and when the diagnostics read and what they tell (commands/stuck-install.ts).
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import {
  describeStuckPhase,
  findReplacementTaskSet,
  installStuckForMs,
  installSubject,
  isTaskOf,
} from '../../../src/engines/codedeploy/diagnostics.js';
import {
  STUCK_TASKS_BASE_MS as STUCK_INSTALL_BASE_MS,
  StuckTasksDiagnostics,
  addReasons,
  newDiagnosis,
  oneLine,
  serviceEventReason,
  serviceEventsSince,
  stuckTasksThresholdMs as stuckInstallThresholdMs,
  taskStopReason,
  MAX_REASONS,
} from '../../../src/engine/stuck-tasks.js';
import { describeStoppedTasks } from '../../../src/aws/ecs-reads.js';
import { newCodeDeployPart, newDeploymentRecord, type DeploymentRecord } from '../../../src/record/record.js';
import { codeDeploySummary } from '../../../src/engines/codedeploy/summary.js';
import { renderJobSummary as renderFrame } from '../../../src/record/summary.js';
import type { Observation } from '../../../src/engines/codedeploy/progress.js';
import { DEPLOYMENT_ID, deployment, events, target, taskSet } from '../../helpers/codedeploy-fixtures.js';
import { START_MS, awsError, fakeRuntime, type FakeRuntime } from '../../helpers/fake-runtime.js';

const renderJobSummary = (record: DeploymentRecord): string => renderFrame(record, codeDeploySummary(record));

const ecs = mockClient(ECSClient);
beforeEach(() => {
  ecs.reset();
});

const GREEN = 'ecs-svc/222';
const TD = 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:43';
const CLUSTER = 'prod';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/tg-green/abc';

/** Install (index 1) in progress since START_MS + 10 s. */
function installTarget(labels = true) {
  const sets = [
    taskSet('Blue', 100),
    taskSet('Green', 0, { runningCount: 0, pendingCount: 2, desiredCount: 2 }),
  ].map((s) => (labels ? s : { ...s, taskSetLabel: undefined }));
  return target('InProgress', events(1), sets);
}

function observation(at: number, t = installTarget()): Observation {
  return { at, deployment: deployment('InProgress', { createTime: new Date(START_MS) }), target: t };
}

function service(extra: Partial<Service> = {}): Service {
  return {
    serviceName: 'web',
    taskSets: [
      { id: 'ecs-svc/111', status: 'PRIMARY', taskDefinition: `${TD.slice(0, -2)}42` },
      {
        id: GREEN,
        status: 'ACTIVE',
        taskDefinition: TD,
        externalId: DEPLOYMENT_ID,
        computedDesiredCount: 2,
        runningCount: 1,
        pendingCount: 1,
      },
    ],
    events: [],
    ...extra,
  };
}

function stoppedTask(n: number, extra: Partial<Task> = {}): Task {
  return {
    taskArn: `arn:aws:ecs:us-east-1:111122223333:task/prod/${String(n).padStart(32, '0')}`,
    startedBy: GREEN,
    taskDefinitionArn: TD,
    lastStatus: 'STOPPED',
    stoppedReason: 'Essential container in task exited',
    stopCode: 'EssentialContainerExited',
    stoppedAt: new Date(START_MS + n * 1000),
    containers: [{ name: 'web', exitCode: 1, reason: 'Error: connect ECONNREFUSED 10.0.1.23:5432' }],
    ...extra,
  };
}

function unhealthy(n: number, at: number, taskSetId = GREEN) {
  return {
    id: `ev-${taskSetId}-${n}`,
    createdAt: new Date(at),
    message: `(service web, taskSet ${taskSetId}) (task ${String(n).padStart(32, 'a')}) (port 8080) is unhealthy in (target-group ${TG}) due to (reason Health checks failed).`,
  };
}

describe('when Install counts as stuck', () => {
  it('is 3 minutes plus the health check grace period', () => {
    expect(stuckInstallThresholdMs(undefined)).toBe(STUCK_INSTALL_BASE_MS);
    expect(stuckInstallThresholdMs(120)).toBe(5 * 60_000);
  });

  it('only while Install is in progress past the threshold', () => {
    const t = installTarget();
    const started = START_MS + 10_000;
    expect(installStuckForMs(t, started + 2 * 60_000, 3 * 60_000)).toBeUndefined();
    expect(installStuckForMs(t, started + 4 * 60_000, 3 * 60_000)).toBe(4 * 60_000);
    // AfterInstall in progress: Install is over
    expect(installStuckForMs(target('InProgress', events(2)), started + 60 * 60_000, 0)).toBeUndefined();
  });

  it("the timeout names the event in progress, for how long, and the replacement's counts in Install", () => {
    const now = START_MS + 10_000 + 40 * 60_000 + 20_000;
    expect(describeStuckPhase(installTarget(), now)).toBe(
      'stuck in Install for 40 min (replacement task set 0/2 running, 2 pending)',
    );
    expect(describeStuckPhase(target('InProgress', events(6)), START_MS + 60_000 + 30_000)).toBe(
      'stuck in AllowTraffic for 30 s',
    );
    expect(describeStuckPhase(target('Succeeded', events(8)), now)).toBeUndefined();
  });
});

describe('which task set is the replacement', () => {
  it("is the target's Green set, with ECS's fresher counts", () => {
    expect(findReplacementTaskSet(installTarget(), service(), DEPLOYMENT_ID, TD)).toMatchObject({
      id: GREEN,
      running: 1,
      pending: 1,
      desired: 2,
    });
  });

  it('without labels: the ECS set of this deployment, else the non-primary set of the task definition, else the target’s non-primary one', () => {
    const unlabeled = installTarget(false);
    expect(findReplacementTaskSet(unlabeled, service(), DEPLOYMENT_ID, TD)?.id).toBe(GREEN);
    const noExternalId = service({
      taskSets: service().taskSets?.map((s) => ({ ...s, externalId: undefined })),
    });
    expect(findReplacementTaskSet(unlabeled, noExternalId, DEPLOYMENT_ID, TD)?.id).toBe(GREEN);
    const otherDefinition = service({
      taskSets: service().taskSets?.map((s) => ({ ...s, externalId: undefined, taskDefinition: 'x' })),
    });
    expect(findReplacementTaskSet(unlabeled, otherDefinition, DEPLOYMENT_ID, TD)).toMatchObject({
      id: GREEN,
    });
    expect(findReplacementTaskSet(unlabeled, undefined, DEPLOYMENT_ID, TD)).toBeUndefined();
  });

  it("tells its tasks by startedBy, else by the task definition and the set's age", () => {
    const set = { id: GREEN, taskDefinition: TD, createdAt: START_MS };
    expect(isTaskOf(stoppedTask(1), set)).toBe(true);
    expect(isTaskOf(stoppedTask(1, { startedBy: 'ecs-svc/111' }), set)).toBe(false);
    const anonymous = { startedBy: undefined, createdAt: new Date(START_MS + 1) };
    expect(isTaskOf(stoppedTask(1, anonymous), set)).toBe(true);
    expect(isTaskOf(stoppedTask(1, { ...anonymous, createdAt: new Date(START_MS - 1) }), set)).toBe(false);
    expect(isTaskOf(stoppedTask(1, { ...anonymous, taskDefinitionArn: 'other' }), set)).toBe(false);
  });
});

describe('distinct reasons', () => {
  it("a stopped task's reason: stoppedReason, stopCode, each container's exit code and reason", () => {
    expect(taskStopReason(stoppedTask(1))).toBe(
      'Essential container in task exited (EssentialContainerExited) — container web: exit code 1, Error: connect ECONNREFUSED 10.0.1.23:5432',
    );
    expect(
      taskStopReason({
        stoppedReason: 'Task failed ELB health checks',
        containers: [{ name: 'sidecar' }, { name: 'web', exitCode: 137 }],
      }),
    ).toBe('Task failed ELB health checks — container web: exit code 137');
  });

  it('one reason per failure of many tasks; routine events and other task sets left out', () => {
    expect(serviceEventReason(unhealthy(1, 0).message, GREEN)).toBe(
      serviceEventReason(unhealthy(2, 0).message, GREEN),
    );
    expect(serviceEventReason(unhealthy(1, 0).message, GREEN)).toContain('(task …) (port 8080)');
    expect(serviceEventReason(unhealthy(1, 0, 'ecs-svc/111').message, GREEN)).toBeUndefined();
    expect(
      serviceEventReason(`(service web, taskSet ${GREEN}) has started 2 tasks: (task a) (task b).`, GREEN),
    ).toBeUndefined();
    expect(serviceEventReason('(service web) has reached a steady state.', GREEN)).toBeUndefined();
    expect(
      serviceEventReason('(service web) was unable to place a task because no container instance met', GREEN),
    ).toContain('unable to place a task');
  });

  it('service events since the deployment started, oldest first', () => {
    const svc = service({
      events: [unhealthy(3, START_MS + 30), unhealthy(2, START_MS + 20), unhealthy(1, START_MS - 1)],
    });
    expect(serviceEventsSince(svc, START_MS).map((e) => e.id)).toEqual([`ev-${GREEN}-2`, `ev-${GREEN}-3`]);
  });

  it('keeps each reason once with a count, tells only the new ones, and caps how many it keeps', () => {
    const diagnosis = newDiagnosis();
    const a = { kind: 'stopped-task' as const, text: 'A' };
    const b = { kind: 'service-event' as const, text: 'B' };
    expect(addReasons(diagnosis, [a, a, b]).map((r) => r.text)).toEqual(['A', 'B']);
    expect(addReasons(diagnosis, [a, b])).toEqual([]);
    expect(diagnosis.reasons).toEqual([
      { kind: 'stopped-task', text: 'A', count: 3 },
      { kind: 'service-event', text: 'B', count: 2 },
    ]);
    const many = Array.from({ length: MAX_REASONS + 5 }, (_, i) => ({ kind: b.kind, text: `r${i}` }));
    addReasons(diagnosis, many);
    addReasons(diagnosis, many);
    expect(diagnosis.reasons).toHaveLength(MAX_REASONS);
    expect(diagnosis.notShown.size).toBe(7);
  });

  it('untrusted text is one line without control characters, and capped', () => {
    expect(oneLine('a\n::error::x\r\n\u001b[31mred')).toBe('a ::error::x [31mred');
    expect(oneLine('x'.repeat(1000))).toHaveLength(400);
  });
});

describe('describeStoppedTasks', () => {
  const arns = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => stoppedTask(from + i).taskArn as string);

  it("lists the service's STOPPED tasks (not by startedBy, which must be ListTasks' only filter) and describes new ones in batches of 100", async () => {
    ecs
      .on(ListTasksCommand)
      .resolvesOnce({ taskArns: arns(0, 100), nextToken: 't1' })
      .resolvesOnce({ taskArns: arns(100, 60) });
    ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.map((arn) => ({ ...stoppedTask(0), taskArn: arn })),
    }));
    const skip = new Set(arns(0, 10));
    const tasks = await describeStoppedTasks(new ECSClient({}), CLUSTER, 'web', skip);
    expect(tasks).toHaveLength(150);
    const lists = ecs.commandCalls(ListTasksCommand).map((c) => c.args[0].input);
    expect(lists[0]).toEqual({
      cluster: CLUSTER,
      serviceName: 'web',
      desiredStatus: 'STOPPED',
      maxResults: 100,
    });
    expect(lists[1]?.nextToken).toBe('t1');
    expect(lists.every((l) => l.startedBy === undefined)).toBe(true);
    expect(ecs.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input.tasks?.length)).toEqual([
      100, 50,
    ]);
  });

  it('stops listing at maxListed', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: arns(0, 100), nextToken: 'more' });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [] });
    await describeStoppedTasks(new ECSClient({}), CLUSTER, 'web', new Set(), { maxListed: 200 });
    expect(ecs.commandCalls(ListTasksCommand)).toHaveLength(2);
  });
});

describe('StuckInstallDiagnostics', () => {
  const installStart = START_MS + 10_000;

  function setup(): {
    rt: FakeRuntime;
    diagnostics: StuckTasksDiagnostics<Observation>;
    record: ReturnType<typeof newDeploymentRecord>;
  } {
    const rt = fakeRuntime();
    const record = newDeploymentRecord({
      engine: 'codedeploy',
      deploymentId: DEPLOYMENT_ID,
      region: 'us-east-1',
      codedeploy: newCodeDeployPart({ application: 'app', deploymentGroup: 'dg' }),
      cluster: CLUSTER,
      service: 'web',
      taskDefinitionArn: TD,
      images: [],
      waitUntil: 'succeeded',
      startedAt: START_MS,
    });
    const diagnostics = new StuckTasksDiagnostics(
      rt,
      record,
      { ecs: rt.makeClients({ region: 'us-east-1' }).ecs, healthCheckGracePeriodSeconds: 60 },
      installSubject,
    );
    return { rt, diagnostics, record };
  }

  it('reads nothing before the threshold, then at most once a minute, telling only new reasons', async () => {
    const { rt, diagnostics, record } = setup();
    ecs.on(DescribeServicesCommand).resolves({
      services: [service({ events: [unhealthy(1, START_MS + 1000), unhealthy(2, START_MS + 2000)] })],
    });
    ecs
      .on(ListTasksCommand)
      .resolvesOnce({ taskArns: arns2(1, 2) })
      .resolves({ taskArns: arns2(1, 4) });
    ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.map((arn) =>
        arn.endsWith('3')
          ? { ...stoppedTask(3), stoppedReason: 'Task failed ELB health checks', containers: [] }
          : stoppedTask(Number(arn.slice(-1))),
      ),
    }));

    rt.clock.set(installStart + 3 * 60_000 + 59_000); // under 3 min + 60 s grace
    await diagnostics.onLook(observation(rt.clock.now()));
    expect(ecs.calls()).toHaveLength(0);

    rt.clock.set(installStart + 4 * 60_000 + 1000);
    await diagnostics.onLook(observation(rt.clock.now()));
    const first = rt.logText('info');
    expect(first).toContain(
      'Install has run 4m 01s, longer than 3 min plus the 60s health check grace period',
    );
    expect(first).toContain(`replacement task set ${GREEN}: 1/2 running, 1 pending`);
    expect(first.split('Stopped task: Essential container in task exited').length - 1).toBe(1);
    expect(first.split('Service event:').length - 1).toBe(1);

    rt.clock.advance(30_000); // within the minute: no read
    const calls = ecs.calls().length;
    await diagnostics.onLook(observation(rt.clock.now()));
    expect(ecs.calls()).toHaveLength(calls);

    rt.clock.advance(31_000);
    const before = rt.lines.length;
    await diagnostics.onLook(observation(rt.clock.now()));
    const second = rt.lines
      .slice(before)
      .map((l) => l.message)
      .join('\n');
    expect(second).toContain('Stopped task: Task failed ELB health checks');
    expect(second).not.toContain('Essential container');
    // only the two new tasks were described
    expect(ecs.commandCalls(DescribeTasksCommand).at(-1)?.args[0].input.tasks).toHaveLength(2);
    expect(record.tasksDiagnosis?.reasons.map((r) => [r.kind, r.count])).toEqual([
      ['stopped-task', 3],
      ['service-event', 2],
      ['stopped-task', 1],
    ]);
    expect(rt.lines.filter((l) => l.level !== 'info')).toEqual([]);
  });

  it('a denied ListTasks is warned about once and never fails the deployment; the service events still come', async () => {
    const { rt, diagnostics, record } = setup();
    ecs
      .on(DescribeServicesCommand)
      .resolves({ services: [service({ events: [unhealthy(1, START_MS + 1000)] })] });
    ecs.on(ListTasksCommand).rejects(awsError('AccessDeniedException', 'not authorized'));
    rt.clock.set(installStart + 10 * 60_000);
    await diagnostics.onLook(observation(rt.clock.now()));
    rt.clock.advance(2 * 60_000);
    await diagnostics.onLook(observation(rt.clock.now()));
    const warnings = rt.lines.filter((l) => l.level === 'warning').map((l) => l.message);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('AccessDeniedException');
    expect(warnings[0]).toContain('ecs:ListTasks and ecs:DescribeTasks');
    expect(ecs.commandCalls(ListTasksCommand)).toHaveLength(1);
    expect(record.tasksDiagnosis?.reasons.map((r) => r.kind)).toEqual(['service-event']);
  });

  it('a passing fault is tried again at the next read', async () => {
    const { rt, diagnostics } = setup();
    ecs.on(DescribeServicesCommand).resolves({ services: [service()] });
    ecs
      .on(ListTasksCommand)
      .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded'))
      .resolves({ taskArns: [] });
    rt.clock.set(installStart + 10 * 60_000);
    await diagnostics.onLook(observation(rt.clock.now()));
    rt.clock.advance(60_000);
    await diagnostics.onLook(observation(rt.clock.now()));
    expect(ecs.commandCalls(ListTasksCommand)).toHaveLength(2);
    expect(rt.lines.filter((l) => l.level === 'warning')).toEqual([]);
  });

  it('at the verdict it reads only when the deployment was in Install', async () => {
    const { rt, diagnostics } = setup();
    ecs.on(DescribeServicesCommand).resolves({ services: [service()] });
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    await diagnostics.atVerdict(observation(rt.clock.now(), target('InProgress', events(4))));
    expect(ecs.calls()).toHaveLength(0);
    await diagnostics.atVerdict(observation(rt.clock.now()));
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(1);
    expect(rt.logText('info')).toContain('At the verdict');
    expect(rt.logText('info')).toContain('ECS names no reason yet');
  });

  it('the job summary shows the counts and each reason once, escaped', async () => {
    const { rt, diagnostics, record } = setup();
    const hostile = '(service web) <img src=x> | `code` [link](http://x) ::error::boom';
    ecs.on(DescribeServicesCommand).resolves({
      services: [service({ events: [{ id: 'e1', createdAt: new Date(START_MS + 1), message: hostile }] })],
    });
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    rt.clock.set(installStart + 10 * 60_000);
    await diagnostics.onLook(observation(rt.clock.now()));
    record.verdict = 'timeout';
    const summary = renderJobSummary(record);
    expect(summary).toContain('### Why the replacement task set is not healthy');
    expect(summary).toContain(`Replacement task set \`${GREEN}\`: 1/2 running, 1 pending.`);
    expect(summary).toContain('&lt;img src=x&gt; \\| \\`code\\` \\[link\\](http\\://x)');
    expect(summary).toContain('| 1 event |');
    expect(summary).not.toMatch(/[^\\]<img/);
  });
});

function arns2(from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => stoppedTask(from + i).taskArn as string);
}
