/**
 * Follows one CodeDeploy deployment until the state the user waits for, a failure, a timeout or an abort.
 * It only reads (GetDeployment, GetDeploymentTarget) and hands every change to `onChange`; it never
 * prints and never changes the deployment. Its reads spend the process's rate budget for CodeDeploy
 * (aws/rate-budget.ts): the poll plan (pacing.ts) says when it wants to look, the budget when it may. A
 * throttled read is retried soon within that budget; other passing faults are retried with backoff; both for
 * as long as the deadline allows: a throttling storm never fails a deployment that is succeeding.
 */
import {
  GetDeploymentCommand,
  ListDeploymentTargetsCommand,
  type CodeDeployClient,
  type DeploymentInfo,
  type ECSTarget,
} from '@aws-sdk/client-codedeploy';
import type { Clock } from '../../action/clock.js';
import type { WatchBase, WatchCounts, WatchEnd } from '../../engine/watch.js';
import { WatchFailure } from '../../engine/watch.js';
import type { WaitUntil } from '../../action/inputs.js';
import { awsErrorName, isThrottlingError, isTransientAwsError } from '../../aws/errors.js';
import { pollingClient } from '../../aws/clients.js';
import { rateBudget } from '../../aws/rate-budget.js';
import {
  TERMINAL_DEPLOYMENT_STATUSES,
  readDeploymentTarget,
  type TrafficRouting,
} from '../../aws/codedeploy-reads.js';
import { errorMessage } from '../../action/errors.js';
import { diffObservations, evaluateGoal, type Observation, type ProgressChange } from './progress.js';
import { planNextPoll } from './pacing.js';
import { faultBackoffMs } from '../../aws/retry.js';

export interface WatchOptions extends WatchBase<ProgressChange, Observation> {
  codedeploy: CodeDeployClient;
  deploymentId: string;
  /** `<cluster name>:<service name>`, the ECS target id */
  targetId: string;
  waitUntil: WaitUntil;
  clock: Clock;
  routing?: TrafficRouting;
  terminationWaitMinutes: number;
  /** the group holds the replacement in Ready (STOP_DEPLOYMENT): 'ready' waits for the status Ready */
  holdsReplacement?: boolean;
  /**
   * The ECS target cannot be read (no codedeploy:GetDeploymentTarget permission, an endpoint without it):
   * the watch goes on with the deployment's status alone. Also told when the target id had to be found
   * (warnings), and when the last events of a succeeded deployment were not read (`info`).
   */
  onTargetNotice?(message: string, level?: 'warning' | 'info'): void;
  /**
   * How long passing faults may go on back to back before the watch gives up. Default: for as long as
   * the wait lasts — a deployment that succeeds behind an AWS outage is still told as succeeded.
   */
  maxFaultStreakMs?: number;
}

export type WatchOutcome = WatchEnd<Observation>;

/** How long a deployment read in a round that failed after it stands in for the next round's read. */
const CARRY_MS = 10_000;

/** A deployment status that never changes again. */
const isTerminal = (status: string): boolean => TERMINAL_DEPLOYMENT_STATUSES.includes(status);

export class WatchError extends WatchFailure<Observation> {
  override name = 'WatchError';
}

/** Statistics for the benchmark and the closing log line. */
export type WatchStats = WatchCounts;

export async function watchDeployment(
  options: WatchOptions,
  stats: WatchStats = { calls: 0, transientErrors: 0 },
): Promise<WatchOutcome> {
  const { clock } = options;
  // The watch owns the pace of its reads: its client does not retry throttling on its own (aws/clients.ts);
  // each read waits for the process's budget and tells it whether the account let it through.
  const codedeploy = pollingClient(options.codedeploy);
  const budget = rateBudget(clock, 'codedeploy');
  let throttlePauseMs = 0;
  // the last read was throttled: its retry waits for the budget, urgent or not
  let retrying = false;
  const read = async <T>(call: () => Promise<T>, urgent = false): Promise<T> => {
    await budget.spend(0, { signal: options.signal, until: options.deadline, urgent: urgent && !retrying });
    if (options.signal?.aborted) throw new DOMException('The watch was cancelled', 'AbortError');
    stats.calls++;
    try {
      const answer = await call();
      budget.passed();
      retrying = false;
      return answer;
    } catch (error) {
      retrying = isThrottlingError(error);
      if (retrying) throttlePauseMs = budget.throttled();
      throw error;
    }
  };
  const maxFaultStreakMs = options.maxFaultStreakMs ?? Number.POSITIVE_INFINITY;
  let observation: Observation | undefined = options.previous;
  let deploymentReadAt = Number.NEGATIVE_INFINITY;
  let faultStreakStartedAt: number | undefined;
  let faultCount = 0;
  let delayMs = 0;
  // A watch that picks up from an earlier one reads the deployment first: it may have moved on since.
  let forceDeploymentRead = options.previous !== undefined;
  // The ECS target: read while it can be; its id looked up once if CodeDeploy does not know it.
  let targetId = options.targetId;
  let targetReadable = true;
  let targetMissingRounds = 0;
  let targetIdLookedUp = false;
  // A deployment seen final without its target read in the same round (first seen after the fact, or
  // final between two reads): the target is read once more, for the failed event and its diagnostics.
  let forceTargetRead = false;
  // GetDeployment's answer from a round whose next read failed, for the round that retries it: once, and
  // only while it is fresh (a target that cannot be read for long must not keep an old status forever)
  let carried: { deployment: DeploymentInfo; at: number } | undefined;

  for (;;) {
    if (delayMs > 0)
      await clock.sleep(Math.min(delayMs, Math.max(0, options.deadline - clock.now())), options.signal);
    if (options.signal?.aborted) return { kind: 'aborted', observation };
    // At the deadline: one last look, then timeout (never a loop of zero-length sleeps).
    const lastLook = clock.now() >= options.deadline;

    const plan = planNextPoll(observation, {
      now: clock.now(),
      deploymentReadAt,
      routing: options.routing,
      terminationWaitMinutes: options.terminationWaitMinutes,
      waitUntil: options.waitUntil,
    });
    const readDeployment = plan.readDeployment || forceDeploymentRead || !observation || !targetReadable;
    const carry =
      carried && (isTerminal(carried.deployment.status ?? '') || clock.now() - carried.at <= CARRY_MS)
        ? carried.deployment
        : undefined;
    carried = undefined;
    let deployment: DeploymentInfo | undefined = carry ?? observation?.deployment;
    let target: ECSTarget | undefined = observation?.target;
    let operation = 'GetDeployment';
    // GetDeployment answered in this round (not carried from the last one)
    let deploymentRead = false;
    // the target's read after the deployment was seen final, for its last events
    let closingRead = false;
    const readTarget = plan.readTarget || forceTargetRead;
    let targetRead = false;
    try {
      // with `carry`, the deployment was read in the round that failed after it (seconds ago, or final)
      if (readDeployment && !carry) {
        operation = 'GetDeployment';
        // the re-read a change asked for goes at once, borrowing a token if none is there: it is the one
        // that tells the verdict
        const response = await read(
          () =>
            codedeploy.send(new GetDeploymentCommand({ deploymentId: options.deploymentId }), {
              abortSignal: options.signal,
            }),
          forceDeploymentRead,
        );
        deployment = response.deploymentInfo;
        if (!deployment)
          throw new WatchError(`GetDeployment returned no deployment for ${options.deploymentId}`);
        deploymentReadAt = clock.now();
        deploymentRead = true;
      }
      // the deployment's status is final and its target was last seen before the end (or never): one
      // closing read for its last events
      closingRead =
        isTerminal(deployment?.status ?? '') && !['Succeeded', 'Failed'].includes(target?.status ?? '');
      if (
        targetReadable &&
        (readTarget || closingRead) &&
        deployment &&
        !['Created', 'Queued'].includes(deployment.status ?? '')
      ) {
        operation = 'GetDeploymentTarget';
        // once the deployment's status is final, the target's read (its last events, for the log) goes at
        // once: it is all that is left before the verdict
        const answer = await read(
          () => readDeploymentTarget(codedeploy, options.deploymentId, targetId, options.signal),
          isTerminal(deployment.status ?? ''),
        );
        if (answer.kind === 'target') {
          // A target that cannot be read for a moment keeps its last known state (no re-logged lifecycle).
          target = answer.target ?? target;
          targetRead = true;
          targetMissingRounds = 0;
        } else if (answer.kind === 'unavailable') {
          targetReadable = false;
          options.onTargetNotice?.(
            `Cannot read the ECS deployment target (${answer.reason}); following the deployment's status alone, without lifecycle events and traffic weights. Allow codedeploy:GetDeploymentTarget to see them.`,
          );
        } else if (++targetMissingRounds >= 3 && !targetIdLookedUp && deployment.status === 'InProgress') {
          targetIdLookedUp = true;
          operation = 'ListDeploymentTargets';
          const ids = await read(() =>
            codedeploy.send(new ListDeploymentTargetsCommand({ deploymentId: options.deploymentId }), {
              abortSignal: options.signal,
            }),
          ).then(
            (listed) => listed.targetIds ?? [],
            (error: unknown) => {
              if (isTransientAwsError(error) || options.signal?.aborted) throw error;
              return [];
            },
          );
          if (ids.length === 1 && ids[0] !== targetId) {
            options.onTargetNotice?.(`CodeDeploy names the ECS target '${ids[0]}' (expected '${targetId}').`);
            targetId = ids[0] as string;
          }
        }
      }
    } catch (error) {
      if (options.signal?.aborted) return { kind: 'aborted', observation };
      if (!isTransientAwsError(error)) {
        if (error instanceof WatchError) throw error;
        throw new WatchError(
          `${operation} for ${options.deploymentId} failed: ${awsErrorName(error)}: ${errorMessage(error)}`,
          observation,
        );
      }
      stats.transientErrors++;
      if (closingRead && deployment?.status === 'Succeeded' && isThrottlingError(error)) {
        // The deployment has succeeded; what is left is the log's last events. A throttled account is not
        // asked again for them: the verdict does not wait on a retry within the budget.
        stats.throttled = (stats.throttled ?? 0) + 1;
        const next: Observation = { at: clock.now(), deployment, target: observation?.target };
        for (const change of diffObservations(observation, next)) options.onChange(change, next);
        options.onTargetNotice?.(
          'The last lifecycle events were not read: AWS throttled the read after CodeDeploy reported the deployment succeeded.',
          'info',
        );
        return { kind: 'reached', observation: next };
      }
      // a deployment read this round before another read failed is carried to the next round, which
      // then reads only what failed: a throttled target read does not cost the deployment's read again
      if (deploymentRead && deployment) carried = { deployment, at: clock.now() };
      if (lastLook) return { kind: 'timeout', observation };
      faultCount++;
      faultStreakStartedAt ??= clock.now();
      if (clock.now() - faultStreakStartedAt > maxFaultStreakMs) {
        throw new WatchError(
          `AWS kept failing for ${Math.round((clock.now() - faultStreakStartedAt) / 60_000)} minutes (${operation}: ${awsErrorName(error)}: ${errorMessage(error)})`,
          observation,
        );
      }
      if (isThrottlingError(error)) {
        // retried soon, within the budget: the budget, not this loop, slows the reads down
        stats.throttled = (stats.throttled ?? 0) + 1;
        delayMs = throttlePauseMs;
      } else delayMs = faultBackoffMs(faultCount);
      options.onTransientError?.(operation, error, delayMs);
      continue;
    }
    faultStreakStartedAt = undefined;
    faultCount = 0;
    if (!deployment) continue;

    const next: Observation = { at: clock.now(), deployment, target };
    const changes = diffObservations(observation, next);
    observation = next;
    for (const change of changes) options.onChange(change, next);
    if (options.onLook) await options.onLook(next);

    // A change of the target's status is the cue to re-read the deployment right away.
    const targetChanged = changes.some((c) => c.type === 'target-status');
    if (targetChanged && !readDeployment) {
      forceDeploymentRead = true;
      delayMs = 0;
      continue;
    }
    forceDeploymentRead = false;

    const goal = evaluateGoal(options.waitUntil, next, options.holdsReplacement);
    // Conclude only on a deployment status read in this round, or a final one (which cannot go stale):
    // re-read a stale one first.
    if (goal !== 'pending' && !readDeployment && !isTerminal(deployment.status ?? '')) {
      forceDeploymentRead = true;
      delayMs = 0;
      continue;
    }
    if (goal === 'reached') return { kind: 'reached', observation: next };
    if (goal === 'failed' && !targetRead && !forceTargetRead && targetReadable) {
      forceTargetRead = true;
      delayMs = 0;
      continue;
    }
    if (goal === 'failed') return { kind: 'failed', observation: next };
    if (lastLook) return { kind: 'timeout', observation: next };
    delayMs = planNextPoll(next, {
      now: clock.now(),
      deploymentReadAt,
      routing: options.routing,
      terminationWaitMinutes: options.terminationWaitMinutes,
      waitUntil: options.waitUntil,
    }).delayMs;
  }
}
