/**
 * AWS's unkindness, each as a switch (issue #9, part 7). The switches live in `Faults` (so
 * `emu.faults.set({...})` turns them on, like every other scripted fault); the state they need between
 * requests (how many answers are still to lose, the account's token bucket, who was throttled) lives here.
 * Each behaviour and its source is listed in docs/aws-behaviours.md.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FaultService, Faults, LoseAnswerOperation, RateLimit } from './faults.js';
import { ApiError } from './protocol.js';

/** Counts of a token bucket's decisions. */
export interface PassThrottled {
  passed: number;
  throttled: number;
}

export interface RateLimitStats extends PassThrottled {
  /** by SigV4 access key ID (`(unsigned)` when none) */
  byClient: Record<string, PassThrottled>;
  /** by the `deploymentId` in the request (`(none)` when the call names none) */
  byDeployment: Record<string, PassThrottled>;
}

function isRead(service: FaultService, action: string): boolean {
  return (service === 'ecs' ? /^(Describe|List)/ : /^(Get|List|BatchGet)/).test(action);
}

/**
 * APIs that share one token bucket (ECS API Reference, *Request throttling*: DescribeServiceDeployments and
 * ListServiceDeployments draw on one bucket); every other API has its own under `per-api`.
 */
export const ECS_SHARED_BUCKETS: Record<string, string> = {
  DescribeServiceDeployments: 'DescribeServiceDeployments+ListServiceDeployments',
  ListServiceDeployments: 'DescribeServiceDeployments+ListServiceDeployments',
};

/** The bucket a call draws on, or undefined when the switch does not cover it. */
function bucketOf(limit: RateLimit, service: FaultService, action: string): string | undefined {
  if (service !== (limit.service ?? 'codedeploy')) return undefined;
  const scope = limit.scope ?? 'reads';
  if (scope === 'all') return `${service}:all`;
  if (scope === 'reads') return isRead(service, action) ? `${service}:reads` : undefined;
  return `${service}:${(service === 'ecs' ? ECS_SHARED_BUCKETS[action] : undefined) ?? action}`;
}

function bump(map: Record<string, PassThrottled>, key: string, throttled: boolean): void {
  const entry = (map[key] ??= { passed: 0, throttled: 0 });
  if (throttled) entry.throttled++;
  else entry.passed++;
}

/** The state the switches need between requests. One per emulator. */
export class Unkindness {
  /** the account's buckets under the current switch: tokens and when they were last refilled */
  private buckets = new Map<string, { tokens: number; refilledAt: number }>();
  private config: RateLimit | undefined;
  private counts: RateLimitStats = { passed: 0, throttled: 0, byClient: {}, byDeployment: {} };

  constructor(private readonly faults: () => Faults) {}

  /**
   * The account's token buckets: every client of the emulator draws from them (per account, per API or group
   * of APIs, with a burst, as AWS documents for ECS). Returns the throttling error when the call's bucket is
   * empty, undefined when the call may pass (or the switch does not cover it).
   */
  admit(
    service: FaultService,
    action: string,
    body: string,
    accessKeyId: string | undefined,
    now: number,
  ): ApiError | undefined {
    const limit = this.faults().rateLimit;
    if (!limit) return undefined;
    const key = bucketOf(limit, service, action);
    if (key === undefined) return undefined;
    const burst = limit.burst ?? limit.perMinute;
    if (this.config !== limit) {
      // a new switch setting starts with full buckets
      this.config = limit;
      this.buckets.clear();
    }
    const bucket = this.buckets.get(key) ?? { tokens: burst, refilledAt: now };
    this.buckets.set(key, bucket);
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.refilledAt) * limit.perMinute) / 60_000);
    bucket.refilledAt = now;
    const throttled = bucket.tokens < 1;
    if (!throttled) bucket.tokens -= 1;
    let deploymentId = '(none)';
    try {
      const parsed = JSON.parse(body) as { deploymentId?: unknown };
      if (typeof parsed.deploymentId === 'string') deploymentId = parsed.deploymentId;
    } catch {
      // not JSON: counted under (none)
    }
    if (throttled) this.counts.throttled++;
    else this.counts.passed++;
    bump(this.counts.byClient, accessKeyId ?? '(unsigned)', throttled);
    bump(this.counts.byDeployment, deploymentId, throttled);
    return throttled ? new ApiError('ThrottlingException', 'Rate exceeded', 400) : undefined;
  }

  stats(): RateLimitStats {
    return structuredClone(this.counts);
  }

  resetStats(): void {
    this.counts = { passed: 0, throttled: 0, byClient: {}, byDeployment: {} };
  }

  /**
   * Called after the handler applied the change: when the switch says so, lose the answer (drop the
   * socket or answer 500) and return true; the caller then sends nothing.
   */
  loseAnswer(action: string, req: IncomingMessage, res: ServerResponse): 'drop' | '5xx' | undefined {
    const entry = this.faults().loseAnswer?.[action as LoseAnswerOperation];
    if (!entry || entry.times <= 0) return undefined;
    entry.times--;
    if (entry.as === 'drop') {
      req.socket.destroy();
      return 'drop';
    }
    const body = JSON.stringify({
      __type: 'InternalFailure',
      message: 'The request processing has failed because of an unknown error.',
    });
    res.writeHead(500, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
    return '5xx';
  }
}
