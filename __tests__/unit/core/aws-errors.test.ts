import { describe, expect, it } from '@jest/globals';
import {
  awsErrorName,
  isAwsError,
  isNetworkError,
  isServerError,
  isThrottlingError,
  isTransientAwsError,
  isDefiniteRejection,
  isUnsupportedOrDenied,
} from '../../../src/aws/errors.js';
import { awsError } from '../../helpers/fake-runtime.js';

describe('aws-errors', () => {
  it('a 501 is not passing: the endpoint does not have the operation', () => {
    const notImplemented = awsError('NotImplemented', 'no such operation', { httpStatusCode: 501 });
    expect(isTransientAwsError(notImplemented)).toBe(false);
    expect(isUnsupportedOrDenied(notImplemented)).toBe(true);
    expect(isUnsupportedOrDenied(awsError('AccessDeniedException'))).toBe(true);
    expect(isUnsupportedOrDenied(awsError('ExpiredTokenException'))).toBe(false);
    expect(isUnsupportedOrDenied(awsError('ThrottlingException'))).toBe(false);
  });

  it('a definite rejection is a 4xx that is not throttling', () => {
    expect(isDefiniteRejection(awsError('InvalidRevisionException'))).toBe(true);
    expect(isDefiniteRejection(awsError('ThrottlingException'))).toBe(false);
    expect(isDefiniteRejection(awsError('InternalFailure', 'x', { httpStatusCode: 500 }))).toBe(false);
    expect(isDefiniteRejection(new Error('socket hang up'))).toBe(false);
  });

  it('names an error by name, then code', () => {
    expect(awsErrorName(awsError('DeploymentLimitExceededException'))).toBe(
      'DeploymentLimitExceededException',
    );
    expect(awsErrorName({ code: 'ECONNRESET' })).toBe('ECONNRESET');
    expect(awsErrorName('text')).toBe('Error');
    expect(isAwsError(awsError('A'), 'B', 'A')).toBe(true);
    expect(isAwsError(awsError('A'), 'B')).toBe(false);
  });

  it('treats throttling, 5xx and dropped connections as passing', () => {
    expect(isThrottlingError(awsError('ThrottlingException'))).toBe(true);
    expect(isThrottlingError(awsError('Whatever', 'slow', { httpStatusCode: 429 }))).toBe(true);
    expect(isServerError(awsError('InternalFailure', 'x', { httpStatusCode: 503 }))).toBe(true);
    expect(isNetworkError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isNetworkError(new Error('socket hang up'))).toBe(true);
    expect(isNetworkError({ name: 'TimeoutError', message: 'x' })).toBe(true);
    expect(isTransientAwsError(awsError('ThrottlingException'))).toBe(true);
  });

  it('does not retry client errors, even when their message mentions a timeout', () => {
    expect(
      isTransientAwsError(awsError('AccessDeniedException', 'not authorized', { httpStatusCode: 403 })),
    ).toBe(false);
    expect(
      isTransientAwsError(
        awsError('InvalidParameterException', 'hook timed out after 3600 seconds', { httpStatusCode: 400 }),
      ),
    ).toBe(false);
    expect(isTransientAwsError(undefined)).toBe(false);
  });
});
