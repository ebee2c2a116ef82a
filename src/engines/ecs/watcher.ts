/**
 * Follows one ECS service deployment until the state the user waits for, a failure, a timeout or an abort.
 * It only reads (one DescribeServiceDeployments a look) and hands every change to `onChange`; it never
 * prints and never changes the deployment. Its reads spend the process's rate budget for ECS
 * (aws/rate-budget.ts), the same policy as the CodeDeploy watcher's: the poll plan (pacing.ts) says when it
 * wants to look, the budget when it may; a throttled read is retried soon within that budget, other passing
 * faults with backoff, both for as long as the deadline allows.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { Clock } from '../../action/clock.js';
import type { WatchBase, WatchCounts, WatchEnd } from '../../engine/watch.js';
import { WatchFailure } from '../../engine/watch.js';
import { errorMessage } from '../../action/errors.js';
import { awsErrorName, isThrottlingError, isTransientAwsError } from '../../aws/errors.js';
import { faultBackoffMs } from '../../aws/retry.js';
import { pollingClient } from '../../aws/clients.js';
import { rateBudget } from '../../aws/rate-budget.js';
import { describeServiceDeployment } from './reads.js';
import {
  carryOver,
  diffEcsObservations,
  evaluateEcsGoal,
  type EcsChange,
  type EcsGoal,
  type EcsObservation,
} from './progress.js';
import { nextEcsPollDelay } from './pacing.js';

export interface EcsWatchOptions extends WatchBase<EcsChange, EcsObservation> {
  ecs: ECSClient;
  arn: string;
  goal: EcsGoal;
  /** the service's strategy: ROLLING has no stages on the wire */
  strategy: string;
  clock: Clock;
  /** ends the watch as 'reached' before the goal (promote: the deployment waits in another pause hook) */
  stopAt?(observation: EcsObservation): boolean;
}

export type EcsWatchOutcome = WatchEnd<EcsObservation>;

export class EcsWatchError extends WatchFailure<EcsObservation> {
  override name = 'EcsWatchError';
}

export type EcsWatchStats = WatchCounts;

export async function watchEcsDeployment(
  options: EcsWatchOptions,
  stats: EcsWatchStats = { calls: 0, transientErrors: 0 },
): Promise<EcsWatchOutcome> {
  const { clock } = options;
  // one attempt a read (aws/clients.ts): the budget paces them and the watch retries a throttled one itself
  const ecs = pollingClient(options.ecs);
  const budget = rateBudget(clock, 'ecs');
  let observation = options.previous;
  let faultCount = 0;
  let delayMs = 0;
  for (;;) {
    if (delayMs > 0)
      await clock.sleep(Math.min(delayMs, Math.max(0, options.deadline - clock.now())), options.signal);
    if (options.signal?.aborted) return { kind: 'aborted', observation };
    await budget.spend(0, { signal: options.signal, until: options.deadline });
    if (options.signal?.aborted) return { kind: 'aborted', observation };
    const lastLook = clock.now() >= options.deadline;
    let next: EcsObservation;
    try {
      stats.calls++;
      const deployment = await describeServiceDeployment(ecs, options.arn, options.signal);
      budget.passed();
      next = carryOver(observation, { at: clock.now(), deployment });
    } catch (error) {
      const throttled = isThrottlingError(error);
      const pauseMs = throttled ? budget.throttled() : 0;
      if (options.signal?.aborted) return { kind: 'aborted', observation };
      if (!isTransientAwsError(error))
        throw new EcsWatchError(
          `DescribeServiceDeployments for ${options.arn} failed: ${awsErrorName(error)}: ${errorMessage(error)}`,
          observation,
        );
      stats.transientErrors++;
      if (lastLook) return { kind: 'timeout', observation };
      faultCount++;
      if (throttled) {
        // retried soon, within the budget: the budget, not this loop, slows the reads down
        stats.throttled = (stats.throttled ?? 0) + 1;
        delayMs = pauseMs;
      } else delayMs = faultBackoffMs(faultCount);
      options.onTransientError?.('DescribeServiceDeployments', error, delayMs);
      continue;
    }
    faultCount = 0;
    const changes = diffEcsObservations(observation, next);
    observation = next;
    for (const change of changes) options.onChange(change, next);
    if (options.onLook) await options.onLook(next);
    const goal = evaluateEcsGoal(options.goal, next, options.strategy);
    if (goal === 'reached') return { kind: 'reached', observation: next };
    if (goal === 'failed') return { kind: 'failed', observation: next };
    if (options.stopAt?.(next)) return { kind: 'reached', observation: next };
    if (lastLook) return { kind: 'timeout', observation: next };
    delayMs = nextEcsPollDelay(next, clock.now());
  }
}
