/** Retrying one AWS call through passing faults, with a bound on the requests made in all. */
import type { Clock } from '../action/clock.js';
import { isTransientAwsError, type AwsErrorLike } from './errors.js';

/** Requests one withRetries call may make in all, the SDK's own retries included. */
export const MAX_AWS_REQUESTS = 10;

/**
 * Pause after the n-th passing AWS fault in a row that is not throttling (a 5xx, a dropped connection) while
 * a watch follows a deployment: 2 s doubling to 30 s, ±25 % jitter. Throttling is the rate budget's to pace
 * (rate-budget.ts).
 */
export function faultBackoffMs(faultCount: number, random: () => number = Math.random): number {
  return Math.min(30_000, 2000 * 2 ** Math.min(faultCount - 1, 4)) * (0.75 + random() / 2);
}

/** Pause before the next round of a retried call: 1 s, 2 s, 4 s … up to 20 s. */
export function retryBackoffMs(attempt: number): number {
  return Math.min(20_000, 1000 * 2 ** (attempt - 1));
}

/**
 * Retries a call through passing AWS faults (steering calls matter most when things go wrong).
 * The SDK client already retries each call (maxAttempts, 5 by default) and reports how many requests it
 * made in `$metadata.attempts`; those count against `maxRequests`, so the total stays bounded (10: two
 * rounds with the default clients, not 6 × 5 = 30).
 */
export async function withRetries<T>(
  clock: Clock,
  call: () => Promise<T>,
  maxRequests = MAX_AWS_REQUESTS,
): Promise<T> {
  let requests = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      requests += Math.max(1, (error as AwsErrorLike | undefined)?.$metadata?.attempts ?? 1);
      if (!isTransientAwsError(error) || requests >= maxRequests) throw error;
      await clock.sleep(retryBackoffMs(attempt));
    }
  }
}
