/**
 * How long the action follows a CodeDeploy deployment before it gives up: the one place the wait budget
 * is computed, for deploy, promote and rollback, with the sentence that explains it when it runs out.
 * Also where "is there anything to wait for" is decided.
 */
import type { WaitUntil } from '../../action/inputs.js';
import { trafficShiftMinutes, type TrafficRouting } from '../../aws/codedeploy-reads.js';

/** wait-until past the test-traffic phase: production traffic has to move. */
export function isPastReady(waitUntil: WaitUntil): boolean {
  return waitUntil === 'traffic-shifted' || waitUntil === 'succeeded';
}

/** wait-until none with no test-command: the deployment is created and not followed. */
export function followsNothing(waitUntil: WaitUntil, testCommand: string | undefined): boolean {
  return waitUntil === 'none' && !testCommand;
}

/**
 * The group holds the replacement in Ready and nothing in this step will reroute it (no test-command)
 * while the step waits past ready: someone else has to (the console, a promote job).
 */
export function waitsForSomeoneToReroute(
  waitUntil: WaitUntil,
  readyWaitMinutes: number | undefined,
  testCommand: string | undefined,
): boolean {
  return readyWaitMinutes !== undefined && !testCommand && isPastReady(waitUntil);
}

export interface WaitBudgetParams {
  waitForMinutes: number;
  waitUntil: WaitUntil;
  /**
   * Where the deployment stands when following starts: `start` (a new deployment, before any wait),
   * `rerouting` (Ready, and the action has just asked for traffic to move), `terminating` (traffic moved,
   * the termination wait is being ended), `rollback` (CodeDeploy's own rollback deployment).
   */
  from: 'start' | 'rerouting' | 'terminating' | 'rollback';
  routing?: TrafficRouting;
  /** the group's ready wait, counted only from `start` when nobody in this step reroutes */
  readyWaitMinutes?: number;
  terminationWaitMinutes: number;
  /** a test-command reroutes traffic as soon as it passes: the ready wait is not waited out */
  testCommand?: string;
}

export interface WaitBudget {
  minutes: number;
  /** deployment-clock ms after which following gives up */
  deadline: number;
  /** why the budget was what it was, for the timeout's message */
  note: string;
}

/**
 * wait-for-minutes, plus whatever CodeDeploy itself takes that lies before the goal: the ready wait
 * (when someone else reroutes), the traffic shift of a canary or linear config, and the termination
 * wait (when waiting for Succeeded).
 */
export function waitBudget(params: WaitBudgetParams, now: number): WaitBudget {
  const { waitUntil, from } = params;
  const parts: string[] = [`wait-for-minutes ${params.waitForMinutes}`];
  let minutes = params.waitForMinutes;
  const add = (value: number, what: string): void => {
    if (value <= 0) return;
    minutes += value;
    parts.push(`${what} ${value}`);
  };
  if (from === 'start' && waitsForSomeoneToReroute(waitUntil, params.readyWaitMinutes, params.testCommand))
    add(params.readyWaitMinutes ?? 0, "the group's ready wait");
  if ((from === 'start' || from === 'rerouting') && isPastReady(waitUntil))
    add(trafficShiftMinutes(params.routing), 'the traffic shift');
  if ((from === 'start' || from === 'rerouting') && waitUntil === 'succeeded')
    add(params.terminationWaitMinutes, 'the termination wait');
  return {
    minutes,
    deadline: now + minutes * 60_000,
    note: `The wait budget was ${minutes} minutes (${parts.join(' + ')}) for wait-until ${waitUntil}.`,
  };
}

/** The least time the action looks for the rollback of a stopped or failed deployment (issue #9, part 2). */
export const MIN_ROLLBACK_SEARCH_MS = 2 * 60_000;

/**
 * How long to keep looking for a rollback that CodeDeploy has not named yet: what is left of the wait
 * budget, never less than two minutes (ecspresso polls up to 10 times, 1–10 s apart, for the same).
 */
export function rollbackSearchMs(deadline: number | undefined, now: number): number {
  return Math.max(MIN_ROLLBACK_SEARCH_MS, (deadline ?? now) - now);
}
