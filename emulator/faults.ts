/** Injected faults: throttling, server errors, latency, dropped connections, failing hooks. */
import { ApiError } from './protocol.js';
import type { HookEventName } from './state.js';

export type FaultService = 'ecs' | 'codedeploy' | 'sts' | 'elbv2' | 'cloudwatch';

// The switches of AWS's unkindness (docs/aws-behaviours.md); the state they need between requests: unkind.ts.

/** Operations whose answer can be lost after the change was applied. */
export type LoseAnswerOperation =
  'ContinueDeployment' | 'StopDeployment' | 'CreateDeployment' | 'RegisterTaskDefinition' | 'UpdateService';

export const LOSE_ANSWER_OPERATIONS: LoseAnswerOperation[] = [
  'ContinueDeployment',
  'StopDeployment',
  'CreateDeployment',
  'RegisterTaskDefinition',
  'UpdateService',
];

export interface LoseAnswer {
  /** how many answers to lose (each one after the change was applied); counts down */
  times: number;
  /** `drop`: the socket is destroyed without a response; `5xx`: HTTP 500 InternalFailure */
  as: 'drop' | '5xx';
}

export interface RateLimit {
  /** sustained rate: tokens added per virtual minute (each bucket) */
  perMinute: number;
  /** bucket size: calls that may pass at once after a quiet spell (default: perMinute) */
  burst?: number;
  /**
   * `reads` (default): one bucket for the service's reads (CodeDeploy Get*, List*, BatchGet*; ECS Describe*,
   * List*); `all`: one bucket for every call of the service; `per-api`: a bucket per API, as ECS documents
   * them (APIs that share a bucket share it here: ECS_SHARED_BUCKETS)
   */
  scope?: 'reads' | 'all' | 'per-api';
  /** the service throttled (default: codedeploy) */
  service?: 'codedeploy' | 'ecs';
}

export interface StuckInstall {
  /**
   * why the replacement tasks never become healthy: `health-checks` (tasks start, fail ELB health checks
   * and are stopped), `container-exits` (the essential container exits with code 1) or `placement` (no
   * task can be placed; no task ever starts)
   */
  cause?: 'health-checks' | 'container-exits' | 'placement';
  /** virtual seconds between two attempts of ECS to start the replacement tasks (default 60) */
  cycleSeconds?: number;
  /** virtual minutes CodeDeploy waits in Install before failing the deployment (default 60) */
  timeoutMinutes?: number;
}

export interface Faults {
  /** probability (0..1) that a request gets ThrottlingException "Rate exceeded" (HTTP 400) */
  throttleRate: number;
  /** probability (0..1) that a request gets HTTP 500 InternalFailure or 503 ServiceUnavailable */
  serverErrorRate: number;
  /** real milliseconds to hold every matching request before handling it */
  slowMs: number;
  /** probability (0..1) that the connection is destroyed without any response */
  dropRate: number;
  /** restrict the request faults above to one service and/or some actions */
  only?: { service?: FaultService; actions?: string[] };
  /**
   * make this lifecycle hook fail in the next deployments that reach it; `afterMs` (virtual) is how long
   * after its start it fails (default: 5 s with a hook, 0.2 s without), e.g. 500 for "within a second"
   */
  failHook?: { event: HookEventName; message?: string; logTail?: string; afterMs?: number };

  // AWS's unkindness (issue #9 part 7; docs/aws-behaviours.md). State between requests: unkind.ts.
  /** lose the answer of these operations after the change was applied, `times` times each */
  loseAnswer?: Partial<Record<LoseAnswerOperation, LoseAnswer>>;
  /** StopDeployment answers Pending; the deployment is Stopped (and its rollback created) this much later */
  stopPending?: { delaySeconds: number };
  /** groups without a test listener list 6 lifecycle events, not 8 with the test-traffic pair Skipped */
  omitTestTrafficEvents?: boolean;
  /** GetDeploymentTarget's taskSetsInfo entries come without `taskSetLabel` */
  omitTaskSetLabel?: boolean;
  /** the replacement task set of the next deployments never becomes healthy; Install times out */
  stuckInstall?: StuckInstall;
  /** an account-wide token bucket for CodeDeploy, shared by every client, on the virtual clock */
  rateLimit?: RateLimit;
}

export const NO_FAULTS: Faults = { throttleRate: 0, serverErrorRate: 0, slowMs: 0, dropRate: 0 };

export type FaultDecision = { kind: 'none' } | { kind: 'drop' } | { kind: 'error'; error: ApiError };

export function applies(f: Faults, service: FaultService, action: string): boolean {
  if (f.only?.service !== undefined && f.only.service !== service) return false;
  if (f.only?.actions !== undefined && !f.only.actions.includes(action)) return false;
  return true;
}

/** Decide what happens to one request. `random` is injectable for deterministic tests. */
export function decide(
  f: Faults,
  service: FaultService,
  action: string,
  random = Math.random,
): FaultDecision {
  if (!applies(f, service, action)) return { kind: 'none' };
  if (f.dropRate > 0 && random() < f.dropRate) return { kind: 'drop' };
  // awsQuery services, and CloudWatch's query-compatible JSON protocol, name throttling `Throttling`
  const query = service === 'sts' || service === 'elbv2' || service === 'cloudwatch';
  if (f.throttleRate > 0 && random() < f.throttleRate)
    return {
      kind: 'error',
      error: new ApiError(query ? 'Throttling' : 'ThrottlingException', 'Rate exceeded', 400),
    };
  if (f.serverErrorRate > 0 && random() < f.serverErrorRate) {
    const unavailable = random() < 0.5;
    return {
      kind: 'error',
      error: unavailable
        ? new ApiError('ServiceUnavailable', 'Service is unavailable. Please try again later.', 503)
        : new ApiError(
            'InternalFailure',
            'The request processing has failed because of an unknown error.',
            500,
          ),
    };
  }
  return { kind: 'none' };
}
