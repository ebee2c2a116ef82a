import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { CodeDeployClient, GetDeploymentCommand, StopDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { runPost } from '../../../src/commands/post.js';
import { resolveCredentials } from '../../../src/aws/credentials.js';
import { decodeJwtClaims, oidcCredentialsProvider } from '../../../src/aws/oidc.js';
import { getAwsInputs } from '../../../src/action/inputs.js';
import { STATE_KEYS } from '../../../src/action/state.js';
import { DEPLOYMENT_ID, deployment } from '../../helpers/codedeploy-fixtures.js';
import { START_MS, awsError, fakeRuntime } from '../../helpers/fake-runtime.js';

const cd = mockClient(CodeDeployClient);
const sts = mockClient(STSClient);
beforeEach(() => {
  cd.reset();
  sts.reset();
});
afterEach(() => {
  cd.reset();
  sts.reset();
});

const ROLE = 'arn:aws:iam::111122223333:role/deploy';
const OIDC_ENV = { ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' };
const token = `h.${Buffer.from(JSON.stringify({ sub: 'repo:o/r:ref:refs/heads/main', aud: 'sts.amazonaws.com' })).toString('base64url')}.s`;

function stsCredentials(expiresAt: number) {
  return {
    Credentials: {
      AccessKeyId: 'ASIA1',
      SecretAccessKey: 'secret1',
      SessionToken: 'session1',
      Expiration: new Date(expiresAt),
    },
    AssumedRoleUser: {
      Arn: 'arn:aws:sts::111122223333:assumed-role/deploy/GitHubActions',
      AssumedRoleId: 'x',
    },
  };
}

describe('runPost', () => {
  const state = {
    [STATE_KEYS.deploymentId]: DEPLOYMENT_ID,
    [STATE_KEYS.phase]: 'following',
    [STATE_KEYS.rollbackOnCancel]: 'true',
  };

  it('stops a deployment the cancelled main step left in flight, with rollback', async () => {
    const rt = fakeRuntime({ state, inputs: { 'aws-region': 'us-east-1' } });
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: deployment('InProgress') });
    cd.on(StopDeploymentCommand).resolves({ status: 'Pending' });
    await runPost(rt);
    expect(cd.commandCalls(StopDeploymentCommand)[0]?.args[0].input).toEqual({
      deploymentId: DEPLOYMENT_ID,
      autoRollbackEnabled: true,
    });
    expect(rt.logText('warning')).toContain('stopped it with rollback (rollback-on-cancel)');
  });

  it('does nothing when the main step finished, or rollback-on-cancel is false', async () => {
    await runPost(
      fakeRuntime({ state: { ...state, [STATE_KEYS.phase]: 'done' }, inputs: { 'aws-region': 'us-east-1' } }),
    );
    const rt = fakeRuntime({
      state: { ...state, [STATE_KEYS.rollbackOnCancel]: 'false' },
      inputs: { 'aws-region': 'us-east-1' },
    });
    await runPost(rt);
    expect(cd.calls()).toHaveLength(0);
    expect(rt.logText()).toContain('rollback-on-cancel is false');
  });

  it('leaves a finished deployment alone and never fails the post step', async () => {
    const rt = fakeRuntime({ state, inputs: { 'aws-region': 'us-east-1' } });
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: deployment('Succeeded') });
    await runPost(rt);
    expect(cd.commandCalls(StopDeploymentCommand)).toHaveLength(0);
    const broken = fakeRuntime({ state, inputs: { 'aws-region': 'us-east-1' } });
    cd.on(GetDeploymentCommand).rejects(awsError('AccessDeniedException', 'denied'));
    await expect(runPost(broken)).resolves.toBeUndefined();
    expect(broken.logText('warning')).toContain(`Could not roll back deployment ${DEPLOYMENT_ID}`);
  });
});

describe('credentials through GitHub OIDC', () => {
  it('uses the environment when no role is given', async () => {
    const rt = fakeRuntime();
    expect(
      await resolveCredentials(
        getAwsInputs(() => '', { AWS_REGION: 'us-east-1' }),
        rt,
      ),
    ).toBeUndefined();
    expect(rt.idTokenAudiences).toEqual([]);
  });

  it('assumes the role with the job token, masks the secrets, and explains a refusal', async () => {
    const rt = fakeRuntime({ env: OIDC_ENV, idToken: token });
    const aws = getAwsInputs((n) => ({ 'aws-region': 'us-east-1', 'role-to-assume': ROLE })[n] ?? '', {});
    sts.on(AssumeRoleWithWebIdentityCommand).resolves(stsCredentials(START_MS + 3600_000));
    const provider = await resolveCredentials(aws, rt);
    expect(provider).toBeDefined();
    expect(rt.idTokenAudiences).toEqual(['sts.amazonaws.com']);
    expect(rt.secrets).toEqual(expect.arrayContaining([token, 'ASIA1', 'secret1', 'session1']));
    expect(sts.commandCalls(AssumeRoleWithWebIdentityCommand)[0]?.args[0].input).toMatchObject({
      RoleArn: ROLE,
      WebIdentityToken: token,
    });

    sts.on(AssumeRoleWithWebIdentityCommand).rejects(
      awsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', {
        httpStatusCode: 403,
      }),
    );
    await expect(resolveCredentials(aws, fakeRuntime({ env: OIDC_ENV, idToken: token }))).rejects.toThrow(
      "refused the GitHub OIDC token (sub 'repo:o/r:ref:refs/heads/main', aud 'sts.amazonaws.com')",
    );
  });

  it('asks for id-token permission when the job cannot request a token', async () => {
    const aws = getAwsInputs((n) => ({ 'aws-region': 'us-east-1', 'role-to-assume': ROLE })[n] ?? '', {});
    await expect(resolveCredentials(aws, fakeRuntime())).rejects.toThrow('permissions: id-token: write');
    expect(sts.calls()).toHaveLength(0);
  });

  it('retries a passing STS fault and refreshes credentials near their expiry', async () => {
    const clock = { now: START_MS };
    sts
      .on(AssumeRoleWithWebIdentityCommand)
      .rejectsOnce(awsError('IDPCommunicationErrorException', 'idp down'))
      .resolves(stsCredentials(START_MS + 3600_000));
    const sleeps: number[] = [];
    const deps = {
      getIDToken: async () => token,
      setSecret: () => undefined,
      info: () => undefined,
      env: OIDC_ENV,
      sleep: async (ms: number) => void sleeps.push(ms),
      stsClient: (region: string) =>
        new STSClient({ region, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    };
    const aws = getAwsInputs((n) => ({ 'aws-region': 'us-east-1', 'role-to-assume': ROLE })[n] ?? '', {});
    const { provider } = await oidcCredentialsProvider(aws, deps, { now: () => clock.now, scale: 1 });
    expect(sleeps).toHaveLength(1);
    expect(sts.commandCalls(AssumeRoleWithWebIdentityCommand)).toHaveLength(2);
    await provider();
    expect(sts.commandCalls(AssumeRoleWithWebIdentityCommand)).toHaveLength(2);
    clock.now = START_MS + 56 * 60_000;
    await provider();
    expect(sts.commandCalls(AssumeRoleWithWebIdentityCommand)).toHaveLength(3);
  });

  it('on a scaled clock, tells the SDK when the session expires in wall-clock time', async () => {
    // the deployment clock runs 60× faster and is 10 minutes ahead of the wall clock
    const ahead = 10 * 60_000;
    const clock = { now: () => Date.now() + ahead, scale: 60 };
    sts.on(AssumeRoleWithWebIdentityCommand).resolves(stsCredentials(Date.now() + ahead + 15 * 60_000));
    const deps = {
      getIDToken: async () => token,
      setSecret: () => undefined,
      info: () => undefined,
      env: OIDC_ENV,
      sleep: async () => undefined,
      stsClient: (region: string) =>
        new STSClient({ region, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    };
    const aws = getAwsInputs((n) => ({ 'aws-region': 'us-east-1', 'role-to-assume': ROLE })[n] ?? '', {});
    const { provider } = await oidcCredentialsProvider(aws, deps, clock);
    const identity = await provider();
    const realSecondsLeft = ((identity.expiration?.getTime() ?? 0) - Date.now()) / 1000;
    // 15 deployment minutes at 60× are 15 wall-clock seconds
    expect(realSecondsLeft).toBeGreaterThan(14);
    expect(realSecondsLeft).toBeLessThanOrEqual(15);
  });

  it('decodeJwtClaims reads the payload and tolerates garbage', () => {
    expect(decodeJwtClaims(token).sub).toBe('repo:o/r:ref:refs/heads/main');
    expect(decodeJwtClaims('not-a-jwt')).toEqual({});
    expect(decodeJwtClaims('a.!!!.c')).toEqual({});
  });
});
