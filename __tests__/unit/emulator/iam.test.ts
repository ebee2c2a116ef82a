/**
 * The emulator's IAM (emulator/iam.ts, iam-resources.ts): sessions of a role seeded with policies are
 * authorized per call with the resources and condition keys the Service Authorization Reference names, and
 * refused with AccessDenied in the protocol's shape; other callers keep the allow-all default.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AssumeRoleWithWebIdentityCommand } from '@aws-sdk/client-sts';
import {
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { GetDeploymentGroupCommand, StopDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { startEmulator, type Emulator, type IdentityPolicy } from '../../../emulator/index.js';
import { authorizationChecks } from '../../../emulator/iam-resources.js';
import { clients, rejection, type Clients } from './helpers.js';

const ACCT = '111111111111';
const ECS = `arn:aws:ecs:us-east-1:${ACCT}`;
const TRUST = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: `arn:aws:iam::${ACCT}:oidc-provider/token.actions.githubusercontent.com` },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' } },
    },
  ],
};

let emu: Emulator;
let admin: Clients;
let deploymentArn: string;

beforeAll(async () => {
  emu = await startEmulator({ clockScale: 200, requireKnownCredentials: true });
  admin = clients(emu);
  emu.seed.blueGreenService({ cluster: 'demo', service: 'web' });
  const native = emu.seed.ecsNativeService({ cluster: 'demo', service: 'api', strategy: 'BLUE_GREEN' });
  deploymentArn = native.initialDeploymentArn;
});
afterAll(() => emu.stop());

/** Seed a role with these statements and return clients signed with a session of it. */
async function sessionOf(name: string, statements: object[]): Promise<Clients> {
  const policies: IdentityPolicy[] = [
    { name: 'p', document: { Version: '2012-10-17', Statement: statements } as IdentityPolicy['document'] },
  ];
  const { arn } = emu.seed.role({ name, trustPolicy: TRUST, policies });
  const out = await admin.sts.send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: arn,
      RoleSessionName: 'job-1',
      WebIdentityToken: emu.oidc.issueToken({ aud: 'sts.amazonaws.com' }),
    }),
  );
  return clients(emu, {
    accessKeyId: out.Credentials!.AccessKeyId!,
    secretAccessKey: out.Credentials!.SecretAccessKey!,
    sessionToken: out.Credentials!.SessionToken!,
  });
}

const allow = (Action: string | string[], Resource: string | string[], Condition?: object) => ({
  Effect: 'Allow',
  Action,
  Resource,
  ...(Condition ? { Condition } : {}),
});

describe('AccessDenied as AWS answers it', () => {
  it('awsJson1_1 (ECS, CodeDeploy): AccessDeniedException, 400, "User: … is not authorized to perform: …"', async () => {
    const s = await sessionOf('reads-nothing', [allow('ecs:ListClusters', '*')]);
    const e = await rejection(
      s.ecs.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web'] })),
    );
    expect(e.name).toBe('AccessDeniedException');
    expect(e.$metadata?.httpStatusCode).toBe(400);
    expect(e.message).toBe(
      `User: arn:aws:sts::${ACCT}:assumed-role/reads-nothing/job-1 is not authorized to perform: ecs:DescribeServices on resource: ${ECS}:service/demo/web because no identity-based policy allows the ecs:DescribeServices action`,
    );
    const cd = await rejection(
      s.cd.send(
        new GetDeploymentGroupCommand({
          applicationName: 'AppECS-demo-web',
          deploymentGroupName: 'DgpECS-demo-web',
        }),
      ),
    );
    expect(cd.name).toBe('AccessDeniedException');
    expect(cd.message).toContain(
      `codedeploy:GetDeploymentGroup on resource: arn:aws:codedeploy:us-east-1:${ACCT}:deploymentgroup:AppECS-demo-web/DgpECS-demo-web`,
    );
  });

  it('awsQuery (ELBv2): AccessDenied, 403, no resource named', async () => {
    const s = await sessionOf('no-elb', [allow('ecs:ListClusters', '*')]);
    const e = await rejection(
      s.elb.send(new DescribeRulesCommand({ RuleArns: ['arn:aws:elasticloadbalancing:x'] })),
    );
    expect(e.name).toBe('AccessDenied');
    expect(e.$metadata?.httpStatusCode).toBe(403);
    expect(e.message).toMatch(
      /^User: arn:aws:sts::\d+:assumed-role\/no-elb\/job-1 is not authorized to perform: elasticloadbalancing:DescribeRules because no identity-based policy allows the elasticloadbalancing:DescribeRules action$/,
    );
  });
});

describe('resources and condition keys per the Service Authorization Reference', () => {
  it('DescribeServiceDeployments needs the service as well as the service deployment', async () => {
    const only = await sessionOf('deployment-only', [
      allow('ecs:DescribeServiceDeployments', `${ECS}:service-deployment/demo/api/*`),
    ]);
    const e = await rejection(
      only.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [deploymentArn] })),
    );
    expect(e.message).toContain(
      `ecs:DescribeServiceDeployments on resource: ${ECS}:service/demo/api because`,
    );
    const both = await sessionOf('deployment-and-service', [
      allow('ecs:DescribeServiceDeployments', [
        `${ECS}:service/demo/api`,
        `${ECS}:service-deployment/demo/api/*`,
      ]),
    ]);
    const out = await both.ecs.send(
      new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [deploymentArn] }),
    );
    expect(out.serviceDeployments?.[0]?.serviceDeploymentArn).toBe(deploymentArn);
  });

  it('StopDeployment takes no resource type: the application and its groups never grant it, * does', async () => {
    const app = `arn:aws:codedeploy:us-east-1:${ACCT}`;
    const scoped = await sessionOf('cd-scoped', [
      allow('codedeploy:StopDeployment', [
        `${app}:application:AppECS-demo-web`,
        `${app}:deploymentgroup:AppECS-demo-web/*`,
      ]),
    ]);
    const e = await rejection(scoped.cd.send(new StopDeploymentCommand({ deploymentId: 'd-NOTREAL01' })));
    expect(e.message).toContain('codedeploy:StopDeployment on resource: * because');
    const star = await sessionOf('cd-star', [allow('codedeploy:StopDeployment', '*')]);
    // authorized: the service itself answers (no such deployment)
    expect(
      (await rejection(star.cd.send(new StopDeploymentCommand({ deploymentId: 'd-NOTREAL01' })))).name,
    ).not.toMatch(/AccessDenied/);
  });

  it('DescribeTaskDefinition takes no resource type: a family-scoped statement never grants it', async () => {
    const family = await sessionOf('family', [
      allow('ecs:DescribeTaskDefinition', `${ECS}:task-definition/web:*`),
    ]);
    const e = await rejection(
      family.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:1' })),
    );
    expect(e.message).toContain('ecs:DescribeTaskDefinition on resource: * because');
  });

  it('ListTasks: * limited by ecs:cluster', async () => {
    const s = await sessionOf('tasks-of-demo', [
      allow('ecs:ListTasks', '*', { ArnEquals: { 'ecs:cluster': `${ECS}:cluster/demo` } }),
    ]);
    await s.ecs.send(new ListTasksCommand({ cluster: 'demo', serviceName: 'web' }));
    emu.seed.blueGreenService({ cluster: 'other', service: 'web' });
    const e = await rejection(s.ecs.send(new ListTasksCommand({ cluster: 'other', serviceName: 'web' })));
    expect(e.name).toBe('AccessDeniedException');
  });

  it('RegisterTaskDefinition: iam:PassRole to ecs-tasks.amazonaws.com for its roles, ecs:TagResource for its tags', async () => {
    const register = allow('ecs:RegisterTaskDefinition', `${ECS}:task-definition/web:*`);
    const input = {
      family: 'web',
      executionRoleArn: `arn:aws:iam::${ACCT}:role/web-execution`,
      containerDefinitions: [{ name: 'web', image: 'nginx', essential: true, memory: 128 }],
      tags: [{ key: 'team', value: 'web' }],
    };
    const tagOnCreate = allow('ecs:TagResource', `${ECS}:task-definition/web:*`, {
      StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' },
    });
    const passToTasks = allow('iam:PassRole', input.executionRoleArn, {
      StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
    });
    const passToEcs = allow('iam:PassRole', input.executionRoleArn, {
      StringEquals: { 'iam:PassedToService': 'ecs.amazonaws.com' },
    });
    const revisions = emu.state.taskDefinitions.get('web')?.length;
    const noPass = await sessionOf('no-pass', [register, tagOnCreate]);
    expect((await rejection(noPass.ecs.send(new RegisterTaskDefinitionCommand(input)))).message).toContain(
      `iam:PassRole on resource: arn:aws:iam::${ACCT}:role/web-execution because`,
    );
    const wrongService = await sessionOf('pass-to-ecs', [register, tagOnCreate, passToEcs]);
    expect(
      (await rejection(wrongService.ecs.send(new RegisterTaskDefinitionCommand(input)))).message,
    ).toContain('iam:PassRole on resource');
    const noTag = await sessionOf('no-tag', [register, passToTasks]);
    const tagDenied = await rejection(noTag.ecs.send(new RegisterTaskDefinitionCommand(input)));
    expect(tagDenied.message).toMatch(
      /ecs:TagResource on resource: arn:aws:ecs:us-east-1:\d+:task-definition\/web:\d+ because/,
    );
    // nothing was registered by the refused calls
    expect(emu.state.taskDefinitions.get('web')?.length).toBe(revisions);
    const all = await sessionOf('register-all', [register, passToTasks, tagOnCreate]);
    const out = await all.ecs.send(new RegisterTaskDefinitionCommand(input));
    expect(out.taskDefinition?.family).toBe('web');
    const decisions = emu.iam.decisions().filter((d) => d.role === 'register-all');
    expect(decisions.map((d) => [d.action, d.allowed, d.grantedBy])).toEqual([
      ['ecs:RegisterTaskDefinition', true, 'p'],
      ['ecs:TagResource', true, 'p'],
      ['iam:PassRole', true, 'p'],
    ]);
  });

  it("the ARNs come from the SAR formats: every check of these calls matches its action's resource type", async () => {
    const checks = await authorizationChecks(emu.state, 'ecs', 'DescribeServiceRevisions', {
      serviceRevisionArns: [`${ECS}:service-revision/demo/api/123`],
    });
    expect(checks.map((c) => c.resource)).toEqual([
      `${ECS}:service/demo/api`,
      `${ECS}:service-revision/demo/api/123`,
    ]);
    expect(checks[0]!.context).toMatchObject({
      'ecs:cluster': `${ECS}:cluster/demo`,
      'ecs:service': `${ECS}:service/demo/api`,
    });
  });
});

describe('callers IAM does not apply to', () => {
  it('the static test key and a role seeded without policies are allowed everything, as before', async () => {
    const out = await admin.ecs.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web'] }));
    expect(out.services?.[0]?.serviceName).toBe('web');
    const { arn } = emu.seed.role({ name: 'no-policies', trustPolicy: TRUST });
    const creds = await admin.sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: arn,
        RoleSessionName: 's1',
        WebIdentityToken: emu.oidc.issueToken({ aud: 'sts.amazonaws.com' }),
      }),
    );
    const s = clients(emu, {
      accessKeyId: creds.Credentials!.AccessKeyId!,
      secretAccessKey: creds.Credentials!.SecretAccessKey!,
      sessionToken: creds.Credentials!.SessionToken!,
    });
    await s.ecs.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web'] }));
    expect(emu.iam.decisions().filter((d) => d.role === 'no-policies')).toEqual([]);
  });

  it("a job request token gives tokens with that job's claims", async () => {
    const token = emu.oidc.jobRequestToken({
      environment: 'production-reroute',
      sub: 'repo:acme/app:environment:production-reroute',
    });
    const res = await fetch(`${emu.url}/_oidc/token?api-version=2.0&audience=sts.amazonaws.com`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const jwt = ((await res.json()) as { value: string }).value;
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(claims).toMatchObject({
      sub: 'repo:acme/app:environment:production-reroute',
      environment: 'production-reroute',
      aud: 'sts.amazonaws.com',
    });
  });
});
