/**
 * The test-traffic gate's timing, from the deployment's own state (issue #9, part 4): whether the
 * test-traffic events are over, and how much of the ready wait is left. Pure functions.
 */
import type { DeploymentInfo, ECSTarget } from '@aws-sdk/client-codedeploy';

/** The events that put the replacement behind the test listener; a group without one may list neither. */
export const TEST_TRAFFIC_EVENTS = ['AllowTestTraffic', 'AfterAllowTestTraffic'];

/** The ready wait sits after these (after AfterInstall when the target lists no test-traffic events). */
const BEFORE_READY = ['BeforeInstall', 'Install', 'AfterInstall', ...TEST_TRAFFIC_EVENTS];

/** Test-traffic events listed and not finished (neither Succeeded nor Skipped), as `Name (Status)`. */
export function unfinishedTestTrafficEvents(target: ECSTarget | undefined): string[] {
  return (target?.lifecycleEvents ?? [])
    .filter((e) => TEST_TRAFFIC_EVENTS.includes(e.lifecycleEventName ?? ''))
    .filter((e) => e.status !== 'Succeeded' && e.status !== 'Skipped')
    .map((e) => `${e.lifecycleEventName} (${e.status ?? 'no status'})`);
}

/**
 * When the ready wait began: the latest end time of the events before it (a skipped event has none),
 * or, without any, when the target last changed. Undefined when the target says nothing.
 */
export function readyWaitStartedAt(target: ECSTarget | undefined): number | undefined {
  const ends = (target?.lifecycleEvents ?? [])
    .filter((e) => BEFORE_READY.includes(e.lifecycleEventName ?? ''))
    .map((e) => (e.endTime instanceof Date ? e.endTime.getTime() : undefined))
    .filter((t): t is number => t !== undefined);
  if (ends.length > 0) return Math.max(...ends);
  return target?.lastUpdatedAt instanceof Date ? target.lastUpdatedAt.getTime() : undefined;
}

/** The ready wait's length: the deployment's own setting, else the group's. */
export function readyWaitMinutesOf(
  deployment: DeploymentInfo,
  groupMinutes: number | undefined,
): number | undefined {
  const option = deployment.blueGreenDeploymentConfiguration?.deploymentReadyOption;
  if (option?.actionOnTimeout === 'STOP_DEPLOYMENT' && option.waitTimeInMinutes !== undefined)
    return option.waitTimeInMinutes;
  return groupMinutes;
}

/** ms left of the ready wait at `now`, or undefined when it cannot be told. */
export function readyWaitLeftMs(
  target: ECSTarget | undefined,
  waitMinutes: number | undefined,
  now: number,
): number | undefined {
  const started = readyWaitStartedAt(target);
  if (started === undefined || waitMinutes === undefined) return undefined;
  return started + waitMinutes * 60_000 - now;
}
