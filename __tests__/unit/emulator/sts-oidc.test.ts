import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getIDToken } from '@actions/core';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { GetApplicationCommand } from '@aws-sdk/client-codedeploy';
import { startEmulator, type Emulator } from '../../../emulator/index.js';
import { clients, rejection, type Clients } from './helpers.js';

let emu: Emulator;
let c: Clients;
let roleArn: string;

const trust = (sub: string, like = false) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: 'arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com' },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: like
        ? {
            StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
            StringLike: { 'token.actions.githubusercontent.com:sub': sub },
          }
        : {
            StringEquals: {
              'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
              'token.actions.githubusercontent.com:sub': sub,
            },
          },
    },
  ],
});

beforeAll(async () => {
  emu = await startEmulator({ clockScale: 200, requireKnownCredentials: true });
  c = clients(emu);
  emu.seed.blueGreenService();
  roleArn = emu.seed.role({
    name: 'deploy-prod',
    trustPolicy: trust('repo:acme/app:environment:production'),
  }).arn;
  emu.seed.role({ name: 'deploy-any-branch', trustPolicy: trust('repo:acme/app:ref:refs/heads/*', true) });
});
afterAll(() => emu.stop());

const assume = (token: string, arn = roleArn) =>
  c.sts.send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: arn,
      RoleSessionName: 'GitHubActions',
      WebIdentityToken: token,
    }),
  );

describe('GitHub OIDC token endpoint', () => {
  it('serves @actions/core getIDToken with the requested audience and GitHub claims', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, emu.env());
    try {
      emu.oidc.setClaims({ environment: 'production' });
      const jwt = await getIDToken('sts.amazonaws.com');
      const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<
        string,
        unknown
      >;
      expect(claims).toMatchObject({
        iss: 'https://token.actions.githubusercontent.com',
        aud: 'sts.amazonaws.com',
        sub: 'repo:acme/app:environment:production',
        repository: 'acme/app',
        environment: 'production',
      });
      expect(typeof claims.exp).toBe('number');
      expect(claims.exp as number).toBeGreaterThan(claims.iat as number);
    } finally {
      process.env = saved;
      emu.oidc.setClaims({ environment: undefined });
    }
  });

  it('refuses a wrong bearer token with 401', async () => {
    const res = await fetch(`${emu.url}/_oidc/token?api-version=2.0&audience=x`, {
      headers: { authorization: 'Bearer wrong' },
    });
    expect(res.status).toBe(401);
  });
});

describe('STS AssumeRoleWithWebIdentity', () => {
  it('issues credentials when the trust policy matches the sub, usable against ECS', async () => {
    const token = emu.oidc.issueToken({ aud: 'sts.amazonaws.com', environment: 'production' });
    const out = await assume(token);
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(out.Credentials?.Expiration).toBeInstanceOf(Date);
    expect(out.SubjectFromWebIdentityToken).toBe('repo:acme/app:environment:production');
    expect(out.AssumedRoleUser?.Arn).toBe('arn:aws:sts::111111111111:assumed-role/deploy-prod/GitHubActions');
    const session = clients(emu, {
      accessKeyId: out.Credentials!.AccessKeyId!,
      secretAccessKey: out.Credentials!.SecretAccessKey!,
      sessionToken: out.Credentials!.SessionToken!,
    });
    const svc = await session.ecs.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web'] }));
    expect(svc.services?.[0]?.serviceName).toBe('web');
    const who = await session.sts.send(new GetCallerIdentityCommand({}));
    expect(who.Arn).toBe(out.AssumedRoleUser?.Arn);
    expect(emu.calls.at(-2)).toMatchObject({
      service: 'ecs',
      action: 'DescribeServices',
      accessKeyId: out.Credentials!.AccessKeyId,
    });
  });

  it('denies a branch token on the environment-bound role, allows it on the wildcard role', async () => {
    const branch = emu.oidc.issueToken({ aud: 'sts.amazonaws.com' });
    const denied = await rejection(assume(branch));
    expect(denied.name).toBe('AccessDenied');
    expect(denied.message).toBe('Not authorized to perform sts:AssumeRoleWithWebIdentity');
    expect(denied.$metadata?.httpStatusCode).toBe(403);
    const ok = await assume(branch, 'arn:aws:iam::111111111111:role/deploy-any-branch');
    expect(ok.SubjectFromWebIdentityToken).toBe('repo:acme/app:ref:refs/heads/main');
    const tag = emu.oidc.issueToken({ aud: 'sts.amazonaws.com', ref: 'refs/tags/v1' });
    expect((await rejection(assume(tag, 'arn:aws:iam::111111111111:role/deploy-any-branch'))).name).toBe(
      'AccessDenied',
    );
    const wrongAud = emu.oidc.issueToken({ aud: 'https://github.com/acme', environment: 'production' });
    expect((await rejection(assume(wrongAud))).name).toBe('AccessDenied');
  });

  it('rejects forged, malformed and expired tokens', async () => {
    const good = emu.oidc.issueToken({ aud: 'sts.amazonaws.com', environment: 'production' });
    const [h, , s] = good.split('.');
    const forgedBody = Buffer.from(
      JSON.stringify({
        iss: 'https://token.actions.githubusercontent.com',
        sub: 'repo:evil/x:environment:production',
        aud: 'sts.amazonaws.com',
        exp: 9e9,
      }),
    ).toString('base64url');
    expect((await rejection(assume(`${h}.${forgedBody}.${s}`))).name).toBe('InvalidIdentityTokenException');
    expect((await rejection(assume('not-a-jwt'))).name).toBe('InvalidIdentityTokenException');
    const expired = emu.oidc.issueToken({ aud: 'sts.amazonaws.com', environment: 'production', exp: 1000 });
    expect((await rejection(assume(expired))).name).toBe('ExpiredTokenException');
  });

  it('rejects unknown access keys when requireKnownCredentials is on', async () => {
    const stranger = clients(emu, { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' });
    const e = await rejection(
      stranger.cd.send(new GetApplicationCommand({ applicationName: 'AppECS-demo-web' })),
    );
    expect(e.name).toBe('UnrecognizedClientException');
    expect(e.$metadata?.httpStatusCode).toBe(400);
  });
});
