/** AWS STS (awsQuery, 2011-06-15): AssumeRoleWithWebIdentity against seeded roles, and GetCallerIdentity. */
import type { OidcIssuer } from './oidc.js';
import { GITHUB_ISSUER, verifyJwt } from './oidc.js';
import { trustAllows } from './policy.js';
import { ApiError, isoTime, type RequestContext } from './protocol.js';
import { randomString, type EmulatorState } from './state.js';

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

export type QueryHandler = (params: URLSearchParams, ctx: RequestContext) => unknown;

const ISSUER_HOST = new URL(GITHUB_ISSUER).host;

function validation(message: string): ApiError {
  return new ApiError('ValidationError', `1 validation error detected: ${message}`);
}

export function stsHandlers(
  state: EmulatorState,
  oidc: OidcIssuer,
  staticAccessKeyId: string,
): Record<string, QueryHandler> {
  return {
    AssumeRoleWithWebIdentity: (params, ctx) => {
      const roleArn = params.get('RoleArn') ?? '';
      const sessionName = params.get('RoleSessionName') ?? '';
      const token = params.get('WebIdentityToken') ?? '';
      if (roleArn.length < 20)
        throw validation(
          "Value at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20",
        );
      if (sessionName.length < 2 || sessionName.length > 64 || !/^[\w+=,.@-]*$/.test(sessionName))
        throw validation(
          "Value at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        );
      if (token.length < 4)
        throw validation(
          "Value at 'webIdentityToken' failed to satisfy constraint: Member must have length greater than or equal to 4",
        );
      const duration = Number(params.get('DurationSeconds') ?? '3600');
      if (!Number.isInteger(duration) || duration < 900 || duration > 43200)
        throw validation(
          "Value at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200",
        );
      const verified = verifyJwt(token, oidc.publicKey, ctx.now);
      if (!verified.ok) {
        if (verified.reason === 'expired') throw new ApiError('ExpiredTokenException', verified.message);
        throw new ApiError('InvalidIdentityToken', verified.message);
      }
      const claims = verified.claims;
      const role = state.roles.get(roleArn);
      const providerArn = `arn:aws:iam::${state.accountId}:oidc-provider/${ISSUER_HOST}`;
      const aud = Array.isArray(claims.aud) ? String(claims.aud[0]) : String(claims.aud);
      const allowed =
        role !== undefined &&
        trustAllows(role.trustPolicy, {
          providerArn,
          action: 'sts:AssumeRoleWithWebIdentity',
          context: {
            [`${ISSUER_HOST}:aud`]: aud,
            [`${ISSUER_HOST}:sub`]: typeof claims.sub === 'string' ? claims.sub : undefined,
            [`${ISSUER_HOST}:amr`]: undefined,
          },
        });
      if (!allowed)
        throw new ApiError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403);
      const accessKeyId = `ASIA${randomString(16)}`;
      const expiration = ctx.now + duration * 1000;
      const arn = `arn:aws:sts::${state.accountId}:assumed-role/${role.name}/${sessionName}`;
      const assumedRoleId = `${role.roleId}:${sessionName}`;
      const creds = {
        accessKeyId,
        secretAccessKey: randomString(40, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+'),
        sessionToken: `IQoJb3JpZ2luX2VjE${randomString(120, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}`,
        expiration,
        arn,
        assumedRoleId,
        roleArn: role.arn,
      };
      state.credentials.set(accessKeyId, creds);
      return {
        Credentials: {
          AccessKeyId: creds.accessKeyId,
          SecretAccessKey: creds.secretAccessKey,
          SessionToken: creds.sessionToken,
          Expiration: isoTime(expiration),
        },
        SubjectFromWebIdentityToken: claims.sub,
        AssumedRoleUser: { AssumedRoleId: assumedRoleId, Arn: arn },
        Provider: GITHUB_ISSUER,
        Audience: aud,
      };
    },
    GetCallerIdentity: (_params, ctx) => {
      const key = ctx.accessKeyId;
      const issued = key ? state.credentials.get(key) : undefined;
      if (issued) return { UserId: issued.assumedRoleId, Account: state.accountId, Arn: issued.arn };
      if (key === staticAccessKeyId)
        return { UserId: 'AIDAEMULATORUSER00001', Account: state.accountId, Arn: ctx.callerArn };
      throw new ApiError(
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
        403,
      );
    },
  };
}
