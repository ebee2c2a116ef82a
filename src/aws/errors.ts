/** What kind of failure an AWS SDK error is, so callers can retry what is passing and stop on what is not. */

export interface AwsErrorLike {
  name?: string;
  code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number; attempts?: number };
}

const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'PriorRequestNotComplete',
  'BandwidthLimitExceeded',
]);

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

function asErrorLike(error: unknown): AwsErrorLike {
  return typeof error === 'object' && error !== null ? (error as AwsErrorLike) : {};
}

export function awsErrorName(error: unknown): string {
  const e = asErrorLike(error);
  return e.name ?? e.code ?? 'Error';
}

export function isThrottlingError(error: unknown): boolean {
  const e = asErrorLike(error);
  return THROTTLING_NAMES.has(awsErrorName(error)) || e.$metadata?.httpStatusCode === 429;
}

export function isServerError(error: unknown): boolean {
  const e = asErrorLike(error);
  const status = e.$metadata?.httpStatusCode;
  // 501 Not Implemented: the endpoint does not have the operation; asking again will not help.
  if (status === 501 || awsErrorName(error) === 'NotImplemented') return false;
  return e.$fault === 'server' || (status !== undefined && status >= 500);
}

const UNSUPPORTED_OR_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnknownOperationException',
  'UnknownOperation',
  'InvalidAction',
  'NotImplemented',
  'UnsupportedOperation',
  'UnsupportedOperationException',
  'OperationNotSupportedException',
]);

/**
 * This caller may not, or this endpoint cannot, do the operation at all — as opposed to a fault of the
 * moment or a problem with the credentials themselves.
 */
export function isUnsupportedOrDenied(error: unknown): boolean {
  const e = asErrorLike(error);
  return UNSUPPORTED_OR_DENIED.has(awsErrorName(error)) || e.$metadata?.httpStatusCode === 501;
}

export function isNetworkError(error: unknown): boolean {
  const e = asErrorLike(error);
  if (e.code !== undefined && NETWORK_CODES.has(e.code)) return true;
  if (['TimeoutError', 'RequestTimeout', 'RequestTimeoutException'].includes(awsErrorName(error)))
    return true;
  const message = e.message ?? '';
  return (
    /socket hang up|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|network|timed? ?out/i.test(message) &&
    !e.$metadata?.httpStatusCode
  );
}

/** Throttling, a 5xx or a dropped connection: worth another try after a pause. */
export function isTransientAwsError(error: unknown): boolean {
  return isThrottlingError(error) || isServerError(error) || isNetworkError(error);
}

export function isAwsError(error: unknown, ...names: string[]): boolean {
  return names.includes(awsErrorName(error));
}

/**
 * AWS answered and refused the request (a 4xx that is not throttling): it was not carried out. Anything
 * else — a 5xx, a dropped connection, a timeout — may or may not have been carried out.
 */
export function isDefiniteRejection(error: unknown): boolean {
  const e = asErrorLike(error);
  const status = e.$metadata?.httpStatusCode;
  if (isTransientAwsError(error)) return false;
  return e.$fault === 'client' || (status !== undefined && status >= 400 && status < 500);
}
