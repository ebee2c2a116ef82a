import { describe, expect, it } from '@jest/globals';
import {
  awsErrorName,
  isAwsError,
  isNetworkError,
  isServerError,
  isThrottlingError,
  isTransientAwsError,
} from '../../../src/aws-errors.js';
import { awsError } from '../../helpers/fake-runtime.js';

describe('aws-errors', () => {
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
