/**
 * The one place AWS SDK clients are made. Region, credentials and retry policy come from here; endpoints
 * come from the SDK's standard configuration (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>), never from
 * this code.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { StandardRetryStrategy } from '@smithy/core/retry';
import type { Runtime } from '../action/runtime.js';
import { explainAccessDenied } from './access-denied.js';
import { METRIC_READ_PACING } from './cloudwatch-reads.js';

export const USER_AGENT = 'ecs-codedeploy-action/1';

export interface AwsClientOptions {
  region: string;
  /** undefined: the SDK's default chain (environment, shared config, web identity, instance role) */
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** attempts per call, including the first (the SDK retries throttling, 5xx and dropped connections) */
  maxAttempts?: number;
}

export interface AwsClients {
  ecs: ECSClient;
  codedeploy: CodeDeployClient;
  /** made on first use: only the test-traffic gate needs it */
  elbv2(): ElasticLoadBalancingV2Client;
  /**
   * made on first use: only the health checks read CloudWatch (GetMetricData), with no SDK retries — the
   * health monitor paces its reads and backs off after a fault itself (cloudwatch-reads.ts METRIC_READ_PACING)
   */
  cloudwatch(): CloudWatchClient;
}

/** How commands reach AWS; tests put mocked or emulator-bound clients here. */
export interface AwsAccess {
  makeClients(options: AwsClientOptions): AwsClients;
  /** the STS client that exchanges the GitHub OIDC token (no credentials of its own) */
  stsClient(region: string): STSClient;
  /** what an AccessDenied means for the job's role (access-denied.ts), for the failure message */
  explainError?(error: unknown): string | undefined;
}

/** What every command runs with: the runner and AWS. */
export type AwsRuntime = Runtime & AwsAccess;

/**
 * Attempts per call of the clients a deployment watch reads with (CodeDeploy GetDeployment and
 * GetDeploymentTarget, ECS DescribeServiceDeployments): one. The watch spends its reads within the process's
 * rate budget and retries a throttled read itself, soon and within that budget (aws/rate-budget.ts); SDK
 * retries on top would fire more reads within seconds into the same account-wide limit, from every job at once.
 */
export const POLLING_ATTEMPTS = 1;

const pollingClients = new WeakMap<object, () => object>();

/** The client a deployment watch reads with: same region, credentials and endpoint, no SDK retries. */
export function pollingClient<C extends CodeDeployClient | ECSClient>(client: C): C {
  // a client made elsewhere (a test's own) is used as it is
  return (pollingClients.get(client)?.() as C | undefined) ?? client;
}

/**
 * Attempts per ECS or CodeDeploy call when the account throttles it (other passing faults: `maxAttempts`).
 * A throttle says the account is busy, not that the call is wrong: on an account that throttles half of all
 * reads, five attempts fail one read in 32 — a preflight of five reads one run in seven — and ten fail one
 * read in a thousand. The SDK spaces them out (exponential backoff with jitter, its retry quota).
 */
export const THROTTLED_ATTEMPTS = 10;

/**
 * The SDK's standard retry strategy, patient with throttling: up to THROTTLED_ATTEMPTS attempts while the
 * account throttles the call, `maxAttempts` for any other passing fault. (The SDK's adaptive mode, whose
 * client-side rate limiter would also delay first attempts, is documented as experimental and meant for
 * clients of a single throttled resource; the watches pace their own reads: rate-budget.ts.)
 */
export function throttlePatientRetryStrategy(
  maxAttempts: number,
): Pick<StandardRetryStrategy, 'acquireInitialRetryToken' | 'refreshRetryTokenForRetry' | 'recordSuccess'> {
  const standard = new StandardRetryStrategy(Math.max(maxAttempts, THROTTLED_ATTEMPTS));
  return {
    acquireInitialRetryToken: (scope) => standard.acquireInitialRetryToken(scope),
    refreshRetryTokenForRetry: async (token, errorInfo) => {
      // refusing the retry: the SDK then throws the call's own error
      if (errorInfo.errorType !== 'THROTTLING' && token.getRetryCount() + 1 >= maxAttempts)
        throw errorInfo.error;
      return standard.refreshRetryTokenForRetry(token, errorInfo);
    },
    recordSuccess: (token) => standard.recordSuccess(token),
  };
}

export function createAwsClients(options: AwsClientOptions): AwsClients {
  const maxAttempts = options.maxAttempts ?? 5;
  const config = {
    region: options.region,
    credentials: options.credentials,
    maxAttempts,
    retryMode: 'standard',
    customUserAgent: USER_AGENT,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 30_000 },
  };
  const patient = { ...config, retryStrategy: throttlePatientRetryStrategy(maxAttempts) };
  const polling = { ...config, maxAttempts: POLLING_ATTEMPTS };
  let elbv2: ElasticLoadBalancingV2Client | undefined;
  let cloudwatch: CloudWatchClient | undefined;
  let codedeployPolling: CodeDeployClient | undefined;
  let ecsPolling: ECSClient | undefined;
  const codedeploy = new CodeDeployClient(patient);
  const ecs = new ECSClient(patient);
  pollingClients.set(codedeploy, () => (codedeployPolling ??= new CodeDeployClient(polling)));
  pollingClients.set(ecs, () => (ecsPolling ??= new ECSClient(polling)));
  return {
    ecs,
    codedeploy,
    elbv2: () => (elbv2 ??= new ElasticLoadBalancingV2Client(config)),
    cloudwatch: () =>
      (cloudwatch ??= new CloudWatchClient({ ...config, maxAttempts: METRIC_READ_PACING.attempts })),
  };
}

export function defaultStsClient(region: string): STSClient {
  return new STSClient({ region, customUserAgent: USER_AGENT, maxAttempts: 1 });
}

export const awsAccess: AwsAccess = {
  makeClients: createAwsClients,
  stsClient: defaultStsClient,
  explainError: explainAccessDenied,
};
