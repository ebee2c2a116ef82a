/**
 * A stuck Install, explained (issue #9 part 5), end to end on the bundle: the emulator's stuckInstall
 * switch keeps the replacement task set from becoming healthy, and the action tells why — the set's
 * counts, each distinct stoppedReason / exit code and service event once in the log and the job summary —
 * and its verdict names Install.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { annotations, startWorld, type World } from './harness.js';
import type { ActionRunResult } from '../../scripts/action-runner.js';

const LONG = 120_000;
let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

function ecsCalls(w: World, action: string): number {
  return w.emulator.calls.filter((c) => c.action === action).length;
}

/** A deployment whose replacement never becomes healthy, followed to `succeeded`; it fails. */
async function deployStuck(
  stuckInstall: { cause: 'health-checks' | 'container-exits' | 'placement'; timeoutMinutes?: number },
  waitForMinutes?: string,
): Promise<{ w: World; result: ActionRunResult }> {
  const w = await startWorld({ service: { autoRollback: true } });
  world = w;
  w.emulator.faults.set({ stuckInstall: { cycleSeconds: 60, ...stuckInstall } });
  const result = await w.deploy({ 'wait-until': 'succeeded', 'wait-for-minutes': waitForMinutes });
  expect(result.exitCode).toBe(1);
  return { w, result };
}

describe('a stuck Install', () => {
  it(
    "CodeDeploy's Install timeout: the failure names Install, and each container exit is told once",
    async () => {
      const { w, result } = await deployStuck({ cause: 'container-exits', timeoutMinutes: 8 });
      const reason =
        'Essential container in task exited (EssentialContainerExited) — container web: exit code 1, Error: connect ECONNREFUSED 10.0.1.23:5432';
      // the log: the replacement's counts once Install ran past 3 minutes, then the reason, once
      expect(result.stdout).toMatch(
        /Install has run 3m \d\ds, longer than 3 min: what ECS says about the replacement task set:\n {2}replacement task set ecs-svc\/\d+: \d\/2 running/,
      );
      expect(occurrences(result.stdout, `Stopped task: ${reason}`)).toBe(1);
      // at the verdict, again, with nothing new
      expect(result.stdout).toContain('At the verdict, what ECS says about the replacement task set:');
      // the failure names Install
      const errors = annotations(result.stdout).join('\n');
      expect(errors).toMatch(/Lifecycle event Install failed/);
      expect(errors).toContain('TIMEOUT');
      // the job summary: the section, the counts, the reason once with how many tasks gave it
      expect(result.summary).toContain('### Why the replacement task set is not healthy');
      expect(result.summary).toMatch(/Replacement task set `ecs-svc\/\d+`: \d\/2 running/);
      expect(occurrences(result.summary, reason)).toBe(1);
      const tasks = Number(
        /Stopped task: Essential container[^|]*\| (\d+) tasks \|/.exec(result.summary)?.[1],
      );
      // a stop every 60 s for 2 tasks, from the first minute up to the 8-minute timeout
      expect(tasks).toBeGreaterThanOrEqual(8);
      expect(tasks).toBeLessThanOrEqual(16);
      expect(result.summary).toMatch(/\*\*Deployment d-\w+ failed in Install\.\*\*/);
      // reads bounded: once a minute from minute 3 to 8, plus the verdict
      expect(ecsCalls(w, 'ListTasks')).toBeLessThanOrEqual(8);
      expect(ecsCalls(w, 'DescribeTasks')).toBeLessThanOrEqual(8);
    },
    LONG,
  );

  it(
    "the action's own timeout says it was stuck in Install, with the counts, the health-check stops and the service event once",
    async () => {
      // budget: 1 minute + the 5-minute canary + the 1-minute termination wait; CodeDeploy's Install timeout is 60 minutes
      const { result } = await deployStuck({ cause: 'health-checks' }, '1');
      const errors = annotations(result.stdout).join('\n');
      expect(errors).toMatch(
        /Timed out waiting for succeeded: stuck in Install for [67] min \(replacement task set \d\/2 running(, \d pending)?\); status InProgress, Install in progress/,
      );
      const stop =
        /Stopped task: (Task failed ELB health checks in \(target-group arn:[^)]+\) \(ServiceSchedulerInitiated\) — container web: exit code 137)/.exec(
          result.stdout,
        )?.[1];
      expect(stop).toBeDefined();
      expect(occurrences(result.stdout, stop as string)).toBe(1);
      const event =
        /Service event: (\(service web, taskSet ecs-svc\/\d+\) \(task …\) \(port 8080\) is unhealthy in \(target-group arn:[^)]+\) due to \(reason Health checks failed\)\.)/.exec(
          result.stdout,
        )?.[1];
      expect(event).toBeDefined();
      expect(occurrences(result.stdout, event as string)).toBe(1);
      // routine events (tasks started) are not reasons
      expect(result.stdout).not.toMatch(/Service event: .*has started/);
      // none of it became a workflow command
      expect(result.stdout.split('\n').filter((l) => l.startsWith('::') && l.includes('unhealthy'))).toEqual(
        [],
      );
      expect(result.summary).toContain('### Why the replacement task set is not healthy');
      expect(occurrences(result.summary, 'Task failed ELB health checks')).toBe(1);
      expect(occurrences(result.summary, 'due to (reason Health checks failed)')).toBe(1);
      expect(result.summary).toMatch(/stuck in Install for [67] min/);
    },
    LONG,
  );

  it(
    'a task that cannot be placed: 0 running, and the placement event told once',
    async () => {
      const { result } = await deployStuck({ cause: 'placement' }, '0');
      expect(result.stdout).toMatch(/replacement task set ecs-svc\/\d+: 0\/2 running/);
      expect(
        occurrences(result.stdout, 'was unable to place a task because no container instance met all'),
      ).toBe(1);
      expect(result.stdout).not.toContain('Stopped task:');
      expect(occurrences(result.summary, 'was unable to place a task')).toBe(1);
      expect(annotations(result.stdout).join('\n')).toMatch(
        /stuck in Install for [56] min \(replacement task set 0\/2 running\)/,
      );
    },
    LONG,
  );
});
