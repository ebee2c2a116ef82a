/**
 * Credentials for the deploy role through GitHub OIDC: the job's ID token → STS AssumeRoleWithWebIdentity.
 * The credentials refresh themselves before they expire, so a deployment that outlives the role session
 * (a long termination wait) keeps being followed.
 */
import { AssumeRoleWithWebIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import type { AwsInputs } from '../action/inputs.js';
import { InputError, errorMessage } from '../action/errors.js';
import { awsErrorName, isTransientAwsError } from './errors.js';

export interface OidcDeps {
  getIDToken(audience: string): Promise<string>;
  setSecret(secret: string): void;
  info(message: string): void;
  env: NodeJS.ProcessEnv;
  sleep(ms: number): Promise<void>;
  /** made per call so tests can pass a mock */
  stsClient(region: string): STSClient;
}

export interface AssumedRole {
  credentials: AwsCredentialIdentity;
  assumedRoleArn?: string;
  subject?: string;
}

const REFRESH_MARGIN_MS = 5 * 60_000;
const STS_ATTEMPTS = 6;

/** The claims of a JWT, without verifying it: only to explain a refusal (sub and aud are not secret). */
export function decodeJwtClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    const decoded: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof decoded === 'object' && decoded !== null ? (decoded as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function checkOidcAvailable(env: NodeJS.ProcessEnv): void {
  if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    throw new InputError(
      "input 'role-to-assume'",
      'is set, but this job cannot request a GitHub OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL is not set).',
      'Add `permissions: id-token: write` to the job (and to the calling job when this runs inside a reusable workflow).',
    );
  }
}

export async function assumeRoleWithGitHubOidc(aws: AwsInputs, deps: OidcDeps): Promise<AssumedRole> {
  const roleArn = aws.roleToAssume;
  if (!roleArn) throw new Error('assumeRoleWithGitHubOidc needs role-to-assume');
  checkOidcAvailable(deps.env);

  let token: string;
  try {
    token = await deps.getIDToken(aws.audience);
  } catch (error) {
    throw new InputError(
      'GitHub OIDC token',
      `could not be obtained for audience '${aws.audience}': ${errorMessage(error)}.`,
      'Check that the job has `permissions: id-token: write`.',
    );
  }
  deps.setSecret(token);
  const claims = decodeJwtClaims(token);
  const subject = typeof claims.sub === 'string' ? claims.sub : undefined;

  const sts = deps.stsClient(aws.region);
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: roleArn,
          RoleSessionName: aws.roleSessionName,
          WebIdentityToken: token,
          DurationSeconds: aws.roleDurationSeconds,
        }),
      );
      const c = response.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) {
        throw new Error('STS returned no credentials');
      }
      deps.setSecret(c.AccessKeyId);
      deps.setSecret(c.SecretAccessKey);
      deps.setSecret(c.SessionToken);
      return {
        credentials: {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
          expiration: c.Expiration,
        },
        assumedRoleArn: response.AssumedRoleUser?.Arn,
        subject: response.SubjectFromWebIdentityToken ?? subject,
      };
    } catch (error) {
      const name = awsErrorName(error);
      const retryable =
        isTransientAwsError(error) ||
        name === 'IDPCommunicationErrorException' ||
        name === 'IDPCommunicationError';
      if (retryable && attempt < STS_ATTEMPTS) {
        const delay = Math.min(30_000, 1000 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        deps.info(`STS AssumeRoleWithWebIdentity: ${name}; retrying in ${Math.round(delay / 1000)} s`);
        await deps.sleep(delay);
        continue;
      }
      throw explainAssumeRoleFailure(error, roleArn, subject, claims.aud);
    }
  }
}

function explainAssumeRoleFailure(
  error: unknown,
  roleArn: string,
  subject: string | undefined,
  audience: unknown,
): Error {
  const name = awsErrorName(error);
  const message = errorMessage(error);
  const who = `the GitHub OIDC token (sub '${subject ?? '?'}', aud '${String(audience ?? '?')}')`;
  if (name === 'AccessDenied' || name === 'AccessDeniedException' || /not authorized/i.test(message)) {
    return new InputError(
      `role '${roleArn}'`,
      `refused ${who}: ${message}`,
      "Check the role's trust policy: token.actions.githubusercontent.com:sub must match that subject (the job's environment or branch) and :aud must match the audience input.",
    );
  }
  if (name === 'InvalidIdentityToken' || name === 'InvalidIdentityTokenException') {
    return new InputError(
      `role '${roleArn}'`,
      `rejected ${who} as invalid: ${message}`,
      'Check that the account has an IAM OIDC provider for https://token.actions.githubusercontent.com with audience sts.amazonaws.com.',
    );
  }
  return new Error(`Could not assume role '${roleArn}' with ${who}: ${name}: ${message}`);
}

/**
 * A credentials provider for SDK clients: assumes the role now (so a refusal fails the step before
 * anything changes) and again whenever the session is within five minutes of expiring.
 *
 * `clock` is the deployment's clock (the wall clock on GitHub). The SDK caches what a provider returns
 * until its `expiration` by the wall clock, so the expiration handed to it is the moment the session
 * expires on the deployment's clock, said in wall-clock time — the same instant when the two agree.
 */
export async function oidcCredentialsProvider(
  aws: AwsInputs,
  deps: OidcDeps,
  clock: { now(): number; scale: number } = { now: Date.now, scale: 1 },
): Promise<{ provider: AwsCredentialIdentityProvider; first: AssumedRole }> {
  const first = await assumeRoleWithGitHubOidc(aws, deps);
  let current = first;
  let refreshing: Promise<AssumedRole> | undefined;
  const provider: AwsCredentialIdentityProvider = async () => {
    const expiresAt = current.credentials.expiration?.getTime();
    if (expiresAt !== undefined && expiresAt - clock.now() < REFRESH_MARGIN_MS) {
      refreshing ??= assumeRoleWithGitHubOidc(aws, deps).finally(() => (refreshing = undefined));
      current = await refreshing;
    }
    const expiration = current.credentials.expiration?.getTime();
    if (expiration === undefined || clock.scale === 1) return current.credentials;
    return {
      ...current.credentials,
      expiration: new Date(Date.now() + (expiration - clock.now()) / clock.scale),
    };
  };
  return { provider, first };
}
