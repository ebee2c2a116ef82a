import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CodeDeployClient,
  GetDeploymentCommand,
  GetDeploymentTargetCommand,
  ListDeploymentTargetsCommand,
  type DeploymentInfo,
  type ECSTarget,
} from '@aws-sdk/client-codedeploy';
import { watchDeployment, WatchError, type WatchOptions } from '../../../src/engines/codedeploy/watcher.js';
import type { ProgressChange } from '../../../src/engines/codedeploy/progress.js';
import { ACTIVE_POLL_MS } from '../../../src/engines/codedeploy/pacing.js';
import {
  BURST,
  CEILING_PER_MINUTE,
  FLOOR_PER_MINUTE,
  QUICK_RETRY_MS,
  RETRY_MS,
  rateBudget,
} from '../../../src/aws/rate-budget.js';
import { DEPLOYMENT_ID, TARGET_ID, deployment, events, target } from '../../helpers/codedeploy-fixtures.js';
import {
  START_MS,
  awsError,
  throttling,
  virtualClock,
  type VirtualClock,
} from '../../helpers/fake-runtime.js';

const cd = mockClient(CodeDeployClient);

/** What CodeDeploy answers from `at` ms after the start on (the last step reached wins). */
interface Step {
  at: number;
  deployment: DeploymentInfo;
  target?: ECSTarget;
}

let clock: VirtualClock;
let calls: Array<{ op: string; at: number }>;

function world(steps: Step[], maxCalls = 200): void {
  const current = (): Step => {
    const elapsed = clock.now() - START_MS;
    const step = [...steps].reverse().find((s) => s.at <= elapsed);
    if (!step) throw new Error('no step');
    return step;
  };
  const guard = (op: string): void => {
    calls.push({ op, at: clock.now() - START_MS });
    if (calls.length > maxCalls) throw new Error(`runaway polling: ${calls.length} calls`);
  };
  cd.on(GetDeploymentCommand).callsFake(() => {
    guard('GetDeployment');
    return { deploymentInfo: current().deployment };
  });
  cd.on(GetDeploymentTargetCommand).callsFake(() => {
    guard('GetDeploymentTarget');
    const t = current().target;
    if (!t) throw awsError('DeploymentNotStartedException', 'not started');
    return { deploymentTarget: { deploymentTargetType: 'ECSTarget', ecsTarget: t } };
  });
}

function options(extra: Partial<WatchOptions> = {}): WatchOptions & { changes: ProgressChange[] } {
  const changes: ProgressChange[] = [];
  return {
    codedeploy: new CodeDeployClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    }),
    deploymentId: DEPLOYMENT_ID,
    targetId: TARGET_ID,
    waitUntil: 'succeeded',
    deadline: START_MS + 60 * 60_000,
    clock,
    terminationWaitMinutes: 0,
    onChange: (change) => changes.push(change),
    changes,
    ...extra,
  };
}

beforeEach(() => {
  cd.reset();
  clock = virtualClock();
  calls = [];
  // These tests follow the poll plan: the process's rate budget starts full and at its ceiling (the budget's
  // own start, pacing and throttle handling are tested in rate-budget.test.ts and below).
  rateBudget(clock, 'codedeploy', { tokens: BURST, perMinute: CEILING_PER_MINUTE });
});
afterEach(() => {
  cd.reset();
});

describe('watchDeployment', () => {
  it('follows a deployment to Succeeded and hands over every change once, in order', async () => {
    world([
      { at: 0, deployment: deployment('Created') },
      { at: 5000, deployment: deployment('InProgress'), target: target('InProgress', events(1)) },
      { at: 20_000, deployment: deployment('InProgress'), target: target('InProgress', events(6)) },
      { at: 40_000, deployment: deployment('Succeeded'), target: target('Succeeded', events(8)) },
    ]);
    const o = options();
    const outcome = await watchDeployment(o);
    expect(outcome.kind).toBe('reached');
    expect(outcome.observation?.deployment.status).toBe('Succeeded');
    const started = o.changes
      .filter((c) => c.type === 'event-started')
      .map((c) => ('name' in c ? c.name : ''));
    expect(started).toEqual([
      'BeforeInstall',
      'Install',
      'AfterInstall',
      'AllowTestTraffic',
      'AfterAllowTestTraffic',
      'BeforeAllowTraffic',
      'AllowTraffic',
      'AfterAllowTraffic',
    ]);
    const statuses = o.changes
      .filter((c) => c.type === 'deployment-status')
      .map((c) => ('to' in c ? c.to : ''));
    expect(statuses).toEqual(['Created', 'InProgress', 'Succeeded']);
    // no target read while the deployment is only Created
    expect(calls.filter((c) => c.op === 'GetDeploymentTarget' && c.at < 5000)).toEqual([]);
    // the round that first sees it InProgress reads the target too
    expect(calls.filter((c) => c.at === 8000).map((c) => c.op)).toEqual([
      'GetDeployment',
      'GetDeploymentTarget',
    ]);
  });

  it('picking up from an earlier watch, tells only what changed since, and reads the deployment first', async () => {
    const earlier = { at: START_MS, deployment: deployment('Ready'), target: target('Ready', events(5)) };
    world([
      { at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(6)) },
      { at: 20_000, deployment: deployment('Succeeded'), target: target('Succeeded', events(8)) },
    ]);
    const o = options({ previous: earlier });
    const outcome = await watchDeployment(o);
    expect(outcome.kind).toBe('reached');
    const started = o.changes
      .filter((c) => c.type === 'event-started')
      .map((c) => ('name' in c ? c.name : ''));
    // BeforeAllowTraffic was already running when the earlier watch ended: only its end is new
    expect(started).toEqual(['AllowTraffic', 'AfterAllowTraffic']);
    const finished = o.changes
      .filter((c) => c.type === 'event-finished')
      .map((c) => ('name' in c ? c.name : ''));
    expect(finished).toEqual(['BeforeAllowTraffic', 'AllowTraffic', 'AfterAllowTraffic']);
    const statuses = o.changes
      .filter((c) => c.type === 'deployment-status')
      .map((c) => ('to' in c ? c.to : ''));
    expect(statuses).toEqual(['InProgress', 'Succeeded']);
    expect(calls[0]?.op).toBe('GetDeployment');
  });

  it('tells a status the events lead to (Ready, Failed) after those events', async () => {
    world([
      { at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(3)) },
      { at: 10_000, deployment: deployment('Failed'), target: target('Failed', events(4, 'Failed')) },
    ]);
    const o = options();
    await watchDeployment(o);
    const types = o.changes.map((c) => c.type);
    const lastEvent = types.lastIndexOf('event-finished');
    const failed = o.changes.findIndex(
      (c) => c.type === 'deployment-status' && 'to' in c && c.to === 'Failed',
    );
    expect(lastEvent).toBeGreaterThanOrEqual(0);
    expect(failed).toBeGreaterThan(lastEvent);
  });

  it('re-reads the deployment at once when the target status changes', async () => {
    world([
      { at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(2)) },
      { at: 10_000, deployment: deployment('Failed'), target: target('Failed', events(2, 'Failed')) },
    ]);
    const outcome = await watchDeployment(options());
    expect(outcome.kind).toBe('failed');
    const firstFailedLook = calls.findIndex((c) => c.at >= 10_000);
    expect(calls[firstFailedLook]?.op).toBe('GetDeploymentTarget');
    expect(calls[firstFailedLook + 1]).toEqual({ op: 'GetDeployment', at: calls[firstFailedLook]?.at });
  });

  it('times out at the deadline after one last look, without polling in a loop', async () => {
    world([{ at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(2)) }]);
    const outcome = await watchDeployment(options({ deadline: START_MS + 10_000 }));
    expect(outcome.kind).toBe('timeout');
    expect(outcome.observation?.deployment.status).toBe('InProgress');
    const atDeadline = calls.filter((c) => c.at === 10_000);
    expect(atDeadline.length).toBeGreaterThanOrEqual(1);
    expect(atDeadline.length).toBeLessThanOrEqual(2);
    expect(calls.every((c) => c.at <= 10_000)).toBe(true);
    expect(clock.now()).toBe(START_MS + 10_000);
  });

  it('reports reached when the last look at the deadline shows the goal', async () => {
    world([
      { at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(2)) },
      { at: 10_000, deployment: deployment('Succeeded'), target: target('Succeeded', events(8)) },
    ]);
    const outcome = await watchDeployment(options({ deadline: START_MS + 10_000 }));
    expect(outcome.kind).toBe('reached');
  });

  it('retries a throttled read after a pause, within the budget, and counts it', async () => {
    let failures = 2;
    cd.on(GetDeploymentCommand).callsFake(() => {
      if (failures-- > 0) throw throttling();
      return { deploymentInfo: deployment('Succeeded') };
    });
    cd.on(GetDeploymentTargetCommand).resolves({
      deploymentTarget: { ecsTarget: target('Succeeded', events(8)) },
    });
    const retries: number[] = [];
    const stats = { calls: 0, transientErrors: 0 };
    const outcome = await watchDeployment(
      options({ onTransientError: (_op, _e, ms) => retries.push(ms) }),
      stats,
    );
    expect(outcome.kind).toBe('reached');
    expect(stats).toEqual({ calls: 4, transientErrors: 2, throttled: 2 });
    expect(retries).toHaveLength(2);
    // throttles count as shared until told otherwise: no quick retry yet
    expect(retries[0]).toBeGreaterThanOrEqual(0.75 * RETRY_MS);
    expect(retries[1]).toBeGreaterThanOrEqual(0.75 * RETRY_MS);
  });

  it('retries other passing faults after a growing backoff', async () => {
    let failures = 2;
    cd.on(GetDeploymentCommand).callsFake(() => {
      if (failures-- > 0) throw awsError('InternalFailure', 'boom', { httpStatusCode: 500 });
      return { deploymentInfo: deployment('Succeeded') };
    });
    cd.on(GetDeploymentTargetCommand).resolves({
      deploymentTarget: { ecsTarget: target('Succeeded', events(8)) },
    });
    const retries: number[] = [];
    const stats = { calls: 0, transientErrors: 0 };
    const outcome = await watchDeployment(
      options({ onTransientError: (_op, _e, ms) => retries.push(ms) }),
      stats,
    );
    expect(outcome.kind).toBe('reached');
    expect(stats).toEqual({ calls: 4, transientErrors: 2 });
    expect(retries[0]).toBeGreaterThanOrEqual(1500);
    expect(retries[1]).toBeGreaterThan(retries[0] as number);
  });

  it('by default rides out an hour of faults and tells the success that follows', async () => {
    world([{ at: 0, deployment: deployment('Succeeded'), target: target('Succeeded', events(8)) }]);
    cd.on(GetDeploymentCommand).callsFake(() => {
      calls.push({ op: 'GetDeployment', at: clock.now() - START_MS });
      if (clock.now() - START_MS < 60 * 60_000)
        throw awsError('ServiceUnavailable', 'down', { httpStatusCode: 503 });
      return { deploymentInfo: deployment('Succeeded') };
    });
    const outcome = await watchDeployment(options({ deadline: START_MS + 3 * 3600_000 }));
    expect(outcome.kind).toBe('reached');
    expect(outcome.observation?.deployment.status).toBe('Succeeded');
    // backoff: at most one look every 30 s (plus jitter) through the outage
    expect(calls.length).toBeLessThan(200);
    expect(calls.length).toBeGreaterThan(60);
  });

  it('gives up with a WatchError when faults go on longer than the streak allows', async () => {
    cd.on(GetDeploymentCommand).rejects(awsError('InternalFailure', 'boom', { httpStatusCode: 500 }));
    const promise = watchDeployment(
      options({ maxFaultStreakMs: 5 * 60_000, deadline: START_MS + 24 * 3600_000 }),
    );
    await expect(promise).rejects.toThrow(
      /AWS kept failing for \d+ minutes \(GetDeployment: InternalFailure: boom\)/,
    );
  });

  it('stops on a GetDeployment error that is not passing, naming the operation', async () => {
    world([{ at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(2)) }]);
    cd.on(GetDeploymentCommand).rejects(awsError('AccessDeniedException', 'no codedeploy:GetDeployment'));
    const promise = watchDeployment(options());
    await expect(promise).rejects.toBeInstanceOf(WatchError);
    await expect(watchDeployment(options())).rejects.toThrow(
      `GetDeployment for ${DEPLOYMENT_ID} failed: AccessDeniedException: no codedeploy:GetDeployment`,
    );
  });

  it('a target it may not read: says so once, then follows the deployment status alone to the end', async () => {
    world([
      { at: 0, deployment: deployment('InProgress') },
      { at: 60_000, deployment: deployment('InProgress', { instanceTerminationWaitTimeStarted: true }) },
      { at: 120_000, deployment: deployment('Succeeded') },
    ]);
    cd.on(GetDeploymentTargetCommand).callsFake(() => {
      calls.push({ op: 'GetDeploymentTarget', at: clock.now() - START_MS });
      throw awsError('AccessDeniedException', 'no codedeploy:GetDeploymentTarget');
    });
    const notices: string[] = [];
    const shifted = await watchDeployment(
      options({ waitUntil: 'traffic-shifted', onTargetNotice: (m) => notices.push(m) }),
    );
    expect(shifted.kind).toBe('reached');
    expect(clock.now() - START_MS).toBeGreaterThanOrEqual(60_000);
    expect(clock.now() - START_MS).toBeLessThan(65_000);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/AccessDeniedException.*codedeploy:GetDeploymentTarget/);
    expect(calls.filter((c) => c.op === 'GetDeploymentTarget')).toHaveLength(1);

    const succeeded = await watchDeployment(options({ onTargetNotice: () => undefined }));
    expect(succeeded.kind).toBe('reached');
    expect(succeeded.observation?.deployment.status).toBe('Succeeded');
  });

  it('expired credentials on the target read are not taken for a target it may not read', async () => {
    world([{ at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(2)) }]);
    cd.on(GetDeploymentTargetCommand).rejects(awsError('ExpiredTokenException', 'expired'));
    const notices: string[] = [];
    await expect(watchDeployment(options({ onTargetNotice: (m) => notices.push(m) }))).rejects.toThrow(
      'GetDeploymentTarget for',
    );
    expect(notices).toEqual([]);
  });

  it('looks the target id up once when CodeDeploy does not know the expected one', async () => {
    world([
      { at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(2)) },
      { at: 30_000, deployment: deployment('Succeeded'), target: target('Succeeded', events(8)) },
    ]);
    const asked: string[] = [];
    cd.on(GetDeploymentTargetCommand).callsFake((input: { targetId: string }) => {
      asked.push(input.targetId);
      if (input.targetId !== 'other-cluster:web')
        throw awsError('DeploymentTargetDoesNotExistException', 'no');
      return {
        deploymentTarget: { deploymentTargetType: 'ECSTarget', ecsTarget: target('InProgress', events(2)) },
      };
    });
    cd.on(ListDeploymentTargetsCommand).resolves({ targetIds: ['other-cluster:web'] });
    const notices: string[] = [];
    const outcome = await watchDeployment(options({ onTargetNotice: (m) => notices.push(m) }));
    expect(outcome.kind).toBe('reached');
    expect(asked.slice(0, 3)).toEqual([TARGET_ID, TARGET_ID, TARGET_ID]);
    expect(asked.at(-1)).toBe('other-cluster:web');
    expect(cd.commandCalls(ListDeploymentTargetsCommand)).toHaveLength(1);
    expect(notices).toEqual([
      `CodeDeploy names the ECS target 'other-cluster:web' (expected '${TARGET_ID}').`,
    ]);
  });

  it('returns aborted when the signal fires between looks', async () => {
    world([{ at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(2)) }]);
    const controller = new AbortController();
    clock.onSleep = (now) => {
      if (now - START_MS >= 7000) controller.abort();
    };
    const outcome = await watchDeployment(options({ signal: controller.signal }));
    expect(outcome.kind).toBe('aborted');
    expect(outcome.observation?.deployment.status).toBe('InProgress');
    expect(calls.every((c) => c.at < 7000)).toBe(true);
  });

  it('re-reads a stale deployment status before concluding that the goal is reached', async () => {
    // the deployment is read at 0; the target then shows the test phase over, by which time the
    // deployment already waits in Ready
    world([
      { at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(4)) },
      { at: 3000, deployment: deployment('Ready'), target: target('InProgress', events(5, 'Pending')) },
    ]);
    const outcome = await watchDeployment(options({ waitUntil: 'ready' }));
    expect(outcome.kind).toBe('reached');
    expect(outcome.observation?.deployment.status).toBe('Ready');
  });

  it('reports failed when the re-read shows the deployment stopped meanwhile', async () => {
    world([
      { at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(4)) },
      { at: 3000, deployment: deployment('Stopped'), target: target('InProgress', events(5, 'Pending')) },
    ]);
    const outcome = await watchDeployment(options({ waitUntil: 'ready' }));
    expect(outcome.kind).toBe('failed');
    expect(outcome.observation?.deployment.status).toBe('Stopped');
  });

  it('does not re-log the lifecycle when the target briefly cannot be read', async () => {
    const steps: Step[] = [
      { at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(3)) },
      { at: 3000, deployment: deployment('InProgress') },
      { at: 7000, deployment: deployment('InProgress'), target: target('InProgress', events(4)) },
      { at: 20_000, deployment: deployment('Succeeded'), target: target('Succeeded', events(8)) },
    ];
    world(steps);
    cd.on(GetDeploymentTargetCommand).callsFake(() => {
      calls.push({ op: 'GetDeploymentTarget', at: clock.now() - START_MS });
      const elapsed = clock.now() - START_MS;
      const step = [...steps].reverse().find((s) => s.at <= elapsed) as Step;
      if (!step.target) throw awsError('DeploymentTargetDoesNotExistException', 'gone');
      return { deploymentTarget: { ecsTarget: step.target } };
    });
    const o = options();
    const outcome = await watchDeployment(o);
    expect(outcome.kind).toBe('reached');
    const started = o.changes
      .filter((c) => c.type === 'event-started')
      .map((c) => ('name' in c ? c.name : ''));
    expect(started.filter((name) => name === 'BeforeInstall')).toHaveLength(1);
    expect(new Set(started).size).toBe(started.length);
    expect(calls.some((c) => c.op === 'GetDeploymentTarget' && c.at >= 3000 && c.at < 7000)).toBe(true);
  });

  it('throws a WatchError when GetDeployment answers without a deployment', async () => {
    cd.on(GetDeploymentCommand).resolves({});
    await expect(watchDeployment(options())).rejects.toThrow(
      `GetDeployment returned no deployment for ${DEPLOYMENT_ID}`,
    );
  });
});

describe('the end of a deployment in as few reads as it takes', () => {
  it('once only AfterAllowTraffic is left, reads the deployment alone, then the target once for its last events', async () => {
    world([
      { at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(7)) },
      { at: 5000, deployment: deployment('Succeeded'), target: target('Succeeded', events(8)) },
    ]);
    const o = options();
    const outcome = await watchDeployment(o);
    expect(outcome.kind).toBe('reached');
    const afterFirst = calls.filter((c) => c.at > 0);
    // the rounds before the end read GetDeployment only; the round that sees it Succeeded reads the target
    expect(afterFirst.slice(0, -1).every((c) => c.op === 'GetDeployment')).toBe(true);
    expect(afterFirst.at(-1)?.op).toBe('GetDeploymentTarget');
    expect(o.changes.some((c) => c.type === 'event-finished' && c.name === 'AfterAllowTraffic')).toBe(true);
  });

  it('waiting until traffic shifted, the rounds read the target too once only AfterAllowTraffic is left (for ECS the termination-wait flag stays false)', async () => {
    world([
      { at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(7)) },
      {
        at: 5000,
        deployment: deployment('InProgress', { instanceTerminationWaitTimeStarted: false }),
        target: target('Succeeded', events(8)),
      },
    ]);
    const outcome = await watchDeployment(
      options({ waitUntil: 'traffic-shifted', terminationWaitMinutes: 60, deadline: START_MS + 10 * 60_000 }),
    );
    expect(outcome.kind).toBe('reached');
    expect(clock.now() - START_MS).toBeLessThan(10_000);
  });

  it('a throttled target read does not cost the deployment read of its round again', async () => {
    let targetReads = 0;
    world([{ at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(1)) }]);
    cd.on(GetDeploymentTargetCommand).callsFake(() => {
      calls.push({ op: 'GetDeploymentTarget', at: clock.now() - START_MS });
      if (targetReads++ === 0) throw throttling();
      return {
        deploymentTarget: {
          ecsTarget:
            clock.now() - START_MS > 20_000
              ? target('Succeeded', events(8))
              : target('InProgress', events(1)),
        },
      };
    });
    cd.on(GetDeploymentCommand).callsFake(() => {
      calls.push({ op: 'GetDeployment', at: clock.now() - START_MS });
      return { deploymentInfo: deployment(clock.now() - START_MS > 20_000 ? 'Succeeded' : 'InProgress') };
    });
    await watchDeployment(options());
    // round 1: GetDeployment, GetDeploymentTarget (throttled); round 2: GetDeploymentTarget alone
    expect(calls.slice(0, 3).map((c) => c.op)).toEqual([
      'GetDeployment',
      'GetDeploymentTarget',
      'GetDeploymentTarget',
    ]);
  });

  it('a deployment seen succeeded whose last target read is throttled: the verdict does not wait, and says the last events were not read', async () => {
    world([{ at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(7)) }]);
    const notices: string[] = [];
    const o = options({ onTargetNotice: (m) => notices.push(m) });
    // the first look: the last event running
    const first = await watchDeployment({ ...o, deadline: START_MS });
    expect(first.kind).toBe('timeout');
    cd.on(GetDeploymentCommand).callsFake(() => {
      calls.push({ op: 'GetDeployment', at: clock.now() - START_MS });
      return { deploymentInfo: deployment('Succeeded') };
    });
    cd.on(GetDeploymentTargetCommand).callsFake(() => {
      calls.push({ op: 'GetDeploymentTarget', at: clock.now() - START_MS });
      throw throttling();
    });
    calls = [];
    const outcome = await watchDeployment({ ...o, previous: first.observation });
    expect(outcome.kind).toBe('reached');
    expect(calls.map((c) => c.op)).toEqual(['GetDeployment', 'GetDeploymentTarget']);
    expect(notices).toEqual([
      'The last lifecycle events were not read: AWS throttled the read after CodeDeploy reported the deployment succeeded.',
    ]);
    expect(o.changes.some((c) => c.type === 'deployment-status' && c.to === 'Succeeded')).toBe(true);
  });

  it('a target that is throttled on every read: the deployment is read again while it lasts, and its Succeeded ends the watch', async () => {
    cd.on(GetDeploymentCommand).callsFake(() => {
      calls.push({ op: 'GetDeployment', at: clock.now() - START_MS });
      const t = clock.now() - START_MS;
      return { deploymentInfo: deployment(t < 2000 ? 'Created' : t < 60_000 ? 'InProgress' : 'Succeeded') };
    });
    cd.on(GetDeploymentTargetCommand).callsFake(() => {
      calls.push({ op: 'GetDeploymentTarget', at: clock.now() - START_MS });
      throw throttling();
    });
    const outcome = await watchDeployment(options({ onTargetNotice: () => undefined }));
    expect(outcome.kind).toBe('reached');
    // seen within a minute of the end, though no target read ever passed
    expect(clock.now() - START_MS).toBeLessThan(120_000);
    const deploymentReads = calls.filter((c) => c.op === 'GetDeployment');
    expect(deploymentReads.length).toBeGreaterThan(2);
  });

  it('a deployment seen failed whose target read is throttled: the target is read again, for the failed event', async () => {
    let throttles = 1;
    world([{ at: 0, deployment: deployment('Failed'), target: target('Failed', events(2, 'Failed')) }]);
    cd.on(GetDeploymentTargetCommand).callsFake(() => {
      calls.push({ op: 'GetDeploymentTarget', at: clock.now() - START_MS });
      if (throttles-- > 0) throw throttling();
      return { deploymentTarget: { ecsTarget: target('Failed', events(2, 'Failed')) } };
    });
    const outcome = await watchDeployment(options());
    expect(outcome.kind).toBe('failed');
    expect(outcome.observation?.target?.lifecycleEvents?.[2]?.status).toBe('Failed');
  });
});

describe('a failure first seen after the fact (issue #9, part 3)', () => {
  it('reads the target once more before concluding when the deployment turned final between reads', async () => {
    const failedEvents = events(5, 'Failed');
    failedEvents[5] = {
      ...failedEvents[5],
      diagnostics: { errorCode: 'ScriptFailed', message: 'smoke test failed' },
    };
    // in Ready the poll plan reads only the deployment; then it is Failed, with a failed event
    world([
      { at: 0, deployment: deployment('Ready'), target: target('Ready', events(5, 'Pending')) },
      { at: 1000, deployment: deployment('Failed'), target: target('Failed', failedEvents) },
    ]);
    const previous = {
      at: START_MS,
      deployment: deployment('Ready'),
      target: target('Ready', events(5, 'Pending')),
    };
    await clock.sleep(2000);
    const o = options({ previous });
    const outcome = await watchDeployment(o);
    expect(outcome.kind).toBe('failed');
    const failed = outcome.observation?.target?.lifecycleEvents?.find((e) => e.status === 'Failed');
    expect(failed?.lifecycleEventName).toBe('BeforeAllowTraffic');
    expect(failed?.diagnostics?.message).toBe('smoke test failed');
    expect(calls.map((c) => c.op)).toContain('GetDeploymentTarget');
    expect(o.changes.some((c) => c.type === 'event-finished' && c.status === 'Failed')).toBe(true);
  });

  it('a first look that already shows the end reads the target in the same round, once', async () => {
    world([{ at: 0, deployment: deployment('Failed'), target: target('Failed', events(2, 'Failed')) }]);
    const outcome = await watchDeployment(options());
    expect(outcome.kind).toBe('failed');
    expect(outcome.observation?.target?.lifecycleEvents?.[2]?.status).toBe('Failed');
    expect(calls.filter((c) => c.op === 'GetDeploymentTarget')).toHaveLength(1);
  });
});

describe('the watcher under throttling', () => {
  let reads: Array<{ at: number; throttled: boolean }>;

  /** Install runs for 10 minutes; `throttles(n, t)` says whether the n-th read, at t ms, is throttled. */
  function account(throttles: (n: number, t: number) => boolean): void {
    reads = [];
    const done = (): boolean => clock.now() - START_MS >= 600_000;
    const read = (): boolean => {
      const t = clock.now() - START_MS;
      const throttled = throttles(reads.length, t);
      reads.push({ at: t, throttled });
      return throttled;
    };
    cd.on(GetDeploymentCommand).callsFake(() => {
      if (read()) throw throttling();
      return { deploymentInfo: deployment(done() ? 'Succeeded' : 'InProgress') };
    });
    cd.on(GetDeploymentTargetCommand).callsFake(() => {
      if (read()) throw throttling();
      return {
        deploymentTarget: { ecsTarget: target(done() ? 'Succeeded' : 'InProgress', events(done() ? 8 : 1)) },
      };
    });
  }
  afterEach(() => {
    jest.restoreAllMocks();
  });

  async function watch(): Promise<Record<string, number>> {
    const stats = { calls: 0, transientErrors: 0, throttled: 0 };
    const outcome = await watchDeployment(options(), stats);
    expect(outcome.kind).toBe('reached');
    return stats;
  }

  const between = (from: number, to: number) => reads.filter((r) => r.at >= from && r.at < to);
  const gaps = (rs: Array<{ at: number }>) => rs.slice(1).map((r, i) => r.at - (rs[i] as { at: number }).at);

  it('an account whose bucket is empty (every read throttled for a minute): a pause, then fewer reads, never a stall, the pace back after', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    account((_n, t) => t >= 20_000 && t < 80_000);
    const stats = await watch();
    const storm = between(20_000, 80_000);
    expect(stats.throttled).toBe(storm.length);
    // throttles count as shared until told otherwise: the first throttled read is retried after a pause …
    expect((storm[1] as { at: number }).at - (storm[0] as { at: number }).at).toBeGreaterThanOrEqual(
      RETRY_MS,
    );
    // … then the budget slows the reads down to its floor, one cut per CUT_SPACING_S: a minute of throttling
    // costs a handful of reads, not one every 4 s (15), and the watch never stalls (a read at least every
    // 15 s, plus the pause)
    expect(storm.length).toBeLessThanOrEqual(10);
    expect(Math.max(...gaps(storm))).toBeLessThanOrEqual(60_000 / FLOOR_PER_MINUTE + 1.25 * RETRY_MS);
    // the rate comes back as reads pass: the plan's 4-second pace again, well before Install ends
    // (0: the deployment's refresh read in the same round as the target's)
    const late = gaps(between(300_000, 600_000).filter((r) => !r.throttled));
    expect(late.every((ms) => ms === ACTIVE_POLL_MS || ms === 0)).toBe(true);
    expect(late.filter((ms) => ms === ACTIVE_POLL_MS).length).toBeGreaterThan(60);
  });

  it('an account that throttles every other read at random: quick retries pass, so the pace stays the plan’s', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    account((n, t) => t >= 20_000 && t < 300_000 && n % 2 === 1);
    const stats = await watch();
    const noisy = between(20_000, 300_000);
    expect(stats.throttled).toBeGreaterThan(20);
    // the first throttles count as shared (a cut, a pause); reads throttled as often while the budget is
    // cut tell that they come at random: the cut is undone, and from the second minute on each throttled
    // read is followed by a quick retry …
    const learnt = noisy.filter((r) => r.at >= 60_000);
    const throttledLater = learnt.filter((r) => r.throttled);
    const retriedAfter = learnt.filter(
      (r, i) => r.throttled && (learnt[i + 1]?.at ?? 0) - r.at === QUICK_RETRY_MS,
    );
    expect(throttledLater.length).toBeGreaterThan(20);
    expect(retriedAfter.length).toBe(throttledLater.length);
    // … and the answered reads keep the plan's pace: never more than 4 s + the quick retry apart
    const settled = learnt.filter((r) => !r.throttled);
    expect(Math.max(...gaps(settled))).toBeLessThanOrEqual(ACTIVE_POLL_MS + QUICK_RETRY_MS);
    // the minute it took to tell cost no more than the floor's pace
    const answered = noisy.filter((r) => !r.throttled);
    expect(Math.max(...gaps(answered))).toBeLessThanOrEqual(60_000 / FLOOR_PER_MINUTE + 1.25 * RETRY_MS);
  });

  it('jitters the pauses, so jobs throttled at the same moment do not retry in step', async () => {
    const firstPause = async (random: number): Promise<number> => {
      clock = virtualClock();
      rateBudget(clock, 'codedeploy', { tokens: BURST, perMinute: CEILING_PER_MINUTE });
      jest.spyOn(Math, 'random').mockReturnValue(random);
      account((_n, t) => t >= 20_000 && t < 80_000);
      await watch();
      jest.restoreAllMocks();
      const storm = between(20_000, 80_000);
      return (storm[1] as { at: number }).at - (storm[0] as { at: number }).at;
    };
    expect(await firstPause(0)).toBe(0.75 * RETRY_MS);
    expect(await firstPause(0.999)).toBeCloseTo((0.75 + 0.999 / 2) * RETRY_MS, 2);
  });
});
