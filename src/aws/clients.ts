/**
 * The one place AWS SDK clients are made. Region, credentials and retry policy come from here; endpoints
 * come from the SDK's standard configuration (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>), never from
 * this code.
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { Runtime } from '../action/runtime.js';
import { explainAccessDenied } from './access-denied.js';

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
 * Attempts per call of the client that polls a deployment (GetDeployment, GetDeploymentTarget): one. The
 * watcher owns the pace of its reads: after throttling it slows its whole poll plan down, with jitter,
 * and eases back as reads pass (codedeploy/pacing.ts). SDK retries on top would fire 4 more reads within
 * seconds into the same account-wide limit, from every job at once.
 */
export const POLLING_ATTEMPTS = 1;

const pollingClients = new WeakMap<CodeDeployClient, () => CodeDeployClient>();

/** The client a deployment watch reads with: same region, credentials and endpoint, no SDK retries. */
export function pollingClient(codedeploy: CodeDeployClient): CodeDeployClient {
  // a client made elsewhere (a test's own) is used as it is
  return pollingClients.get(codedeploy)?.() ?? codedeploy;
}

export function createAwsClients(options: AwsClientOptions): AwsClients {
  const config = {
    region: options.region,
    credentials: options.credentials,
    maxAttempts: options.maxAttempts ?? 5,
    retryMode: 'standard',
    customUserAgent: USER_AGENT,
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 30_000 },
  };
  let elbv2: ElasticLoadBalancingV2Client | undefined;
  let polling: CodeDeployClient | undefined;
  const codedeploy = new CodeDeployClient(config);
  pollingClients.set(
    codedeploy,
    () => (polling ??= new CodeDeployClient({ ...config, maxAttempts: POLLING_ATTEMPTS })),
  );
  return {
    ecs: new ECSClient(config),
    codedeploy,
    elbv2: () => (elbv2 ??= new ElasticLoadBalancingV2Client(config)),
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
