import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { condition, evaluate, loadCloudFormation, ruleViolations } from '../../../emulator/cloudformation.js';
import { evalContext, loadTrustPolicies, OIDC_ROLES_TEMPLATE } from '../../helpers/trust-policies.js';
import { REPO_ROOT } from '../../../scripts/validate-workflows.js';

const SUB = 'token.actions.githubusercontent.com:sub';
const AUD = 'token.actions.githubusercontent.com:aud';
const params = { githubOrg: 'acme', githubRepo: 'web', accountId: '222222222222' };

describe('infra/github-oidc-roles.yml', () => {
  const template = loadCloudFormation(OIDC_ROLES_TEMPLATE);

  it('parses with the short-form tags into intrinsic functions', () => {
    expect(template.Resources.GitHubOidcProvider?.Type).toBe('AWS::IAM::OIDCProvider');
    expect(template.Resources.BuildRole?.Properties?.RoleName).toEqual({
      'Fn::Sub': 'github-build-${GitHubRepo}',
    });
    expect(template.Outputs?.BuildRoleArn).toMatchObject({ Value: { 'Fn::GetAtt': ['BuildRole', 'Arn'] } });
  });

  it('every Ref, Condition and ${} names a parameter, pseudo parameter, condition or resource', () => {
    const names = new Set([
      ...Object.keys(template.Parameters ?? {}),
      ...Object.keys(template.Resources),
      'AWS::AccountId',
      'AWS::Region',
      'AWS::Partition',
      'AWS::NoValue',
    ]);
    const conditions = new Set(Object.keys(template.Conditions ?? {}));
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) return v.forEach(walk);
      if (v === null || typeof v !== 'object') return;
      for (const [k, x] of Object.entries(v)) {
        if (k === 'Ref') expect(names).toContain(x);
        if (k === 'Condition' && typeof x === 'string') expect(conditions).toContain(x);
        if (k === 'Fn::If') expect(conditions).toContain((x as string[])[0]);
        if (k === 'Fn::Sub') {
          const text = Array.isArray(x) ? String(x[0]) : String(x);
          for (const m of text.matchAll(/\$\{([^}.]+)\}/g)) expect(names).toContain(m[1]);
        }
        walk(x);
      }
    };
    walk(template);
  });

  it('the provider trusts the GitHub issuer for the STS audience', () => {
    const props = template.Resources.GitHubOidcProvider?.Properties;
    expect(props?.Url).toBe('https://token.actions.githubusercontent.com');
    expect(props?.ClientIdList).toEqual(['sts.amazonaws.com']);
  });

  const WF = 'job_workflow_ref:acme-platform/ecs-codedeploy-action/.github/workflows';
  it("the trust policies pin aud with StringEquals and exact subs naming the job's workflow file", () => {
    const p = loadTrustPolicies(params);
    const only = (doc: typeof p.dev) => {
      expect(doc.Statement).toHaveLength(1);
      const s = doc.Statement[0]!;
      expect(s.Effect).toBe('Allow');
      expect(s.Action).toBe('sts:AssumeRoleWithWebIdentity');
      expect(s.Principal.Federated).toBe(
        'arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com',
      );
      expect(Object.keys(s.Condition)).toEqual(['StringEquals']);
      expect(s.Condition.StringEquals?.[AUD]).toBe('sts.amazonaws.com');
      return s.Condition.StringEquals?.[SUB];
    };
    // build and plan run on main, outside any environment: only their own workflow file may assume them
    expect(only(p.build)).toBe(`repo:acme/web:ref:refs/heads/main:${WF}/build.yml@refs/tags/v1`);
    expect(only(p.prodPlan)).toBe(`repo:acme/web:ref:refs/heads/main:${WF}/deploy-prod.yml@refs/tags/v1`);
    expect(only(p.dev)).toEqual([
      `repo:acme/web:environment:dev:${WF}/_deploy.yml@refs/tags/v1`,
      `repo:acme/web:environment:dev:${WF}/operate.yml@refs/tags/v1`,
    ]);
    expect(only(p.prod)).toEqual([
      `repo:acme/web:environment:production:${WF}/_deploy.yml@refs/tags/v1`,
      `repo:acme/web:environment:production:${WF}/operate.yml@refs/tags/v1`,
    ]);
    expect(only(p.prodPromote)).toEqual([
      `repo:acme/web:environment:production-reroute:${WF}/deploy-prod.yml@refs/tags/v1`,
      `repo:acme/web:environment:production-reroute:${WF}/operate.yml@refs/tags/v1`,
    ]);
  });

  it('no workflow on main but build.yml gets the build role, and none but deploy-prod.yml the plan role (issue 17)', () => {
    const p = loadTrustPolicies(params);
    const subs = (doc: typeof p.build): unknown[] => [doc.Statement[0]!.Condition.StringEquals?.[SUB]].flat();
    const onMain = (file: string) => `repo:acme/web:ref:refs/heads/main:${WF}/${file}@refs/tags/v1`;
    expect(subs(p.build)).toEqual([onMain('build.yml')]);
    expect(subs(p.prodPlan)).toEqual([onMain('deploy-prod.yml')]);
    for (const other of ['deploy-prod.yml', 'operate.yml', 'ci.yml'])
      expect(subs(p.build)).not.toContain(onMain(other));
    for (const other of ['build.yml', 'operate.yml', 'deploy-dev.yml'])
      expect(subs(p.prodPlan)).not.toContain(onMain(other));
    // the subject without job_workflow_ref (any workflow of the branch, the default claim) matches neither
    expect(subs(p.build)).not.toContain('repo:acme/web:ref:refs/heads/main');
    // a fork of the workflows, or another ref of them, is another job_workflow_ref
    const pinned = loadTrustPolicies({
      ...params,
      parameters: { WorkflowRepository: 'acme/ops', WorkflowRef: 'a'.repeat(40) },
    });
    expect(subs(pinned.build)).toEqual([
      `repo:acme/web:ref:refs/heads/main:job_workflow_ref:acme/ops/.github/workflows/build.yml@${'a'.repeat(40)}`,
    ]);
  });

  it('an approved job in production-reroute gets the promote role, never the prod deploy role', () => {
    const p = loadTrustPolicies(params);
    const subs = (doc: typeof p.prod): string[] =>
      [doc.Statement[0]!.Condition.StringEquals?.[SUB]].flat() as string[];
    expect(subs(p.prod).filter((s) => s.includes(':environment:production-reroute:'))).toEqual([]);
    expect(
      subs(p.prodPromote).every((s) => s.startsWith('repo:acme/web:environment:production-reroute:')),
    ).toBe(true);
    const ctx = evalContext(params);
    expect(condition(ctx, 'MakeProdPromote')).toBe(true);
    expect(template.Resources.ProdPromoteRole?.Condition).toBe('MakeProdPromote');
    expect(condition(evalContext({ ...params, prodRerouteEnvironment: '' }), 'MakeProdPromote')).toBe(false);
    expect(
      condition(evalContext({ ...params, parameters: { CreateProdDeployRole: 'false' } }), 'MakeProdPromote'),
    ).toBe(false);
  });

  it('a dev-environment subject is not one the prod role trusts (and no wildcard lets it in)', () => {
    const p = loadTrustPolicies(params);
    const prodSubs = [p.prod.Statement[0]!.Condition.StringEquals?.[SUB]].flat() as string[];
    expect(prodSubs.filter((s) => s.includes(':environment:dev:'))).toEqual([]);
    for (const doc of Object.values(p)) {
      expect(JSON.stringify(doc)).not.toMatch(/StringLike|\*/);
    }
  });

  it('follows the parameters: environment names, branch, no reroute environment, an existing provider', () => {
    const p = loadTrustPolicies({
      ...params,
      mainBranch: 'trunk',
      devEnvironment: 'development',
      prodEnvironment: 'prod',
      prodRerouteEnvironment: '',
      existingOidcProviderArn: 'arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com',
    });
    expect(p.dev.Statement[0]!.Condition.StringEquals?.[SUB]).toContain(
      `repo:acme/web:environment:development:${WF}/_deploy.yml@refs/tags/v1`,
    );
    expect(p.prod.Statement[0]!.Condition.StringEquals?.[SUB]).toContain(
      `repo:acme/web:environment:prod:${WF}/_deploy.yml@refs/tags/v1`,
    );
    expect(p.build.Statement[0]!.Condition.StringEquals?.[SUB]).toBe(
      `repo:acme/web:ref:refs/heads/trunk:${WF}/build.yml@refs/tags/v1`,
    );
    const ctx = evalContext({ ...params, existingOidcProviderArn: 'arn:x' });
    expect(condition(ctx, 'MakeProvider')).toBe(false);
  });

  const policyOf = (logicalId: string, extra: Record<string, string> = {}) => {
    const ctx = evalContext({ ...params, parameters: extra });
    const props = ctx.template.Resources[logicalId]?.Properties ?? {};
    return evaluate(ctx, props) as {
      PolicyDocument?: {
        Statement: { Sid: string; Action: string | string[]; Resource: unknown; Condition?: unknown }[];
      };
      Policies?: {
        PolicyDocument: { Statement: { Sid: string; Action: string | string[]; Resource: unknown }[] };
      }[];
    };
  };
  const actions = (statements: { Action: string | string[] }[]): string[] =>
    statements.flatMap((s) => [s.Action].flat()).sort();

  const REQUIRED = {
    PassRoleArns: 'arn:aws:iam::222222222222:role/task,arn:aws:iam::222222222222:role/exec',
    CodeDeployApplicationName: 'AppECS-prod-web',
    EcsClusterName: 'prod',
    EcsServiceName: 'web',
    TaskDefinitionFamily: 'web',
  };
  const ECS = 'arn:aws:ecs:us-east-1:222222222222';
  const SERVICE = `${ECS}:service/prod/web`;
  const DEPLOYMENTS = `${ECS}:service-deployment/prod/web/*`;
  const REVISIONS = `${ECS}:service-revision/prod/web/*`;
  const APP = 'arn:aws:codedeploy:us-east-1:222222222222:application:AppECS-prod-web';
  const GROUPS = 'arn:aws:codedeploy:us-east-1:222222222222:deploymentgroup:AppECS-prod-web/*';

  it('the deploy policy allows exactly the calls the action makes', () => {
    const doc = policyOf('DeployPolicy', REQUIRED).PolicyDocument!;
    expect(actions(doc.Statement)).toEqual(
      [
        'ecs:DescribeServices',
        'ecs:DescribeTaskDefinition',
        'ecs:RegisterTaskDefinition',
        'ecs:ListTaskDefinitions',
        'ecs:DeregisterTaskDefinition',
        'ecs:TagResource',
        'ecs:TagResource', // on RegisterTaskDefinition, and on RunTask
        'ecs:ListTasks',
        'ecs:DescribeTasks',
        'ecs:RunTask',
        'ecs:UpdateService',
        'ecs:ListServiceDeployments',
        'ecs:DescribeServiceDeployments',
        'ecs:DescribeServiceRevisions',
        'ecs:StopServiceDeployment',
        'ecs:ContinueServiceDeployment',
        'codedeploy:GetApplication',
        'codedeploy:GetDeploymentGroup',
        'codedeploy:GetDeploymentConfig',
        'codedeploy:ListDeployments',
        'codedeploy:CreateDeployment',
        'codedeploy:GetDeployment',
        'codedeploy:GetDeploymentTarget',
        'codedeploy:ListDeploymentTargets',
        'codedeploy:ContinueDeployment',
        'codedeploy:StopDeployment',
        'codedeploy:GetApplicationRevision',
        'codedeploy:RegisterApplicationRevision',
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeLoadBalancers',
        'elasticloadbalancing:DescribeRules',
        'cloudwatch:GetMetricData',
        'elasticloadbalancing:DescribeTargetGroups',
        'iam:PassRole',
      ].sort(),
    );
    const pass = doc.Statement.find((s) => s.Action === 'iam:PassRole');
    expect(pass?.Resource).toEqual([
      'arn:aws:iam::222222222222:role/task',
      'arn:aws:iam::222222222222:role/exec',
    ]);
    expect(pass?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    expect(doc.Statement.find((s) => s.Action === 'ecs:TagResource')).toMatchObject({
      Resource: `${ECS}:task-definition/web:*`,
      Condition: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
    });
    expect(doc.Statement.find((s) => s.Action === 'ecs:RegisterTaskDefinition')?.Resource).toBe(
      `${ECS}:task-definition/web:*`,
    );
    // run-task: the family's revisions, in the one cluster; tags only on the task RunTask creates
    expect(doc.Statement.find((s) => s.Action === 'ecs:RunTask')).toMatchObject({
      Resource: `${ECS}:task-definition/web:*`,
      Condition: { ArnEquals: { 'ecs:cluster': `${ECS}:cluster/prod` } },
    });
    expect(doc.Statement.find((s) => s.Sid === 'EcsTagOnRunTask')).toMatchObject({
      Action: 'ecs:TagResource',
      Resource: `${ECS}:task/prod/*`,
      Condition: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
    });
    expect(doc.Statement.find((s) => s.Sid === 'CodeDeploy')?.Resource).toEqual([APP, GROUPS]);
  });

  it('the CodeDeploy calls by deployment id, which take no resource type, are granted on * in a statement of their own', () => {
    for (const [id, sid] of [
      ['DeployPolicy', 'CodeDeployByDeploymentId'],
      ['ProdPromoteRole', 'ContinueOrStopAndFollow'],
    ] as const) {
      const props = policyOf(id, REQUIRED);
      const stmts = props.PolicyDocument?.Statement ?? props.Policies![0]!.PolicyDocument.Statement;
      expect(stmts.find((s) => s.Sid === sid)).toMatchObject({
        Action: [
          'codedeploy:ContinueDeployment',
          'codedeploy:StopDeployment',
          'codedeploy:GetDeploymentTarget',
          'codedeploy:ListDeploymentTargets',
        ],
        Resource: '*',
      });
    }
  });

  it('the service and task reads of the deploy policy are limited to the one cluster', () => {
    const doc = policyOf('DeployPolicy', REQUIRED).PolicyDocument!;
    const of = (action: string) => doc.Statement.find((s) => [s.Action].flat().includes(action));
    expect(of('ecs:DescribeServices')?.Resource).toBe(SERVICE);
    expect(of('ecs:DescribeTasks')?.Resource).toBe('arn:aws:ecs:us-east-1:222222222222:task/prod/*');
    expect(of('ecs:ListTasks')).toMatchObject({
      Resource: '*',
      Condition: { ArnEquals: { 'ecs:cluster': 'arn:aws:ecs:us-east-1:222222222222:cluster/prod' } },
    });
  });

  it('every ECS, CodeDeploy and ELBv2 command in src/ is granted to a role (deploy, promote or plan)', () => {
    const prefix: Record<string, string> = {
      ecs: 'ecs',
      codedeploy: 'codedeploy',
      'elastic-load-balancing-v2': 'elasticloadbalancing',
    };
    const called = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (entry.name.endsWith('.ts')) {
          const text = readFileSync(file, 'utf8');
          for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/client-([a-z0-9-]+)'/g)) {
            const service = prefix[m[2] ?? ''];
            if (!service) continue;
            for (const name of (m[1] ?? '').split(',').map((n) => n.trim().replace(/^type\s+/, ''))) {
              const command = /^([A-Za-z]+)Command$/.exec(name)?.[1];
              if (command && new RegExp(`new ${name}\\(`).test(text)) called.add(`${service}:${command}`);
            }
          }
        }
      }
    };
    walk(path.join(REPO_ROOT, 'src'));
    expect(called).toContain('codedeploy:ListDeploymentTargets');
    expect(called.size).toBeGreaterThan(15);
    const allowed = [
      ...actions(policyOf('DeployPolicy', REQUIRED).PolicyDocument!.Statement),
      ...actions(policyOf('ProdPromoteRole', REQUIRED).Policies![0]!.PolicyDocument.Statement),
      ...actions(policyOf('ProdPlanRole', REQUIRED).Policies![0]!.PolicyDocument.Statement),
    ];
    expect([...called].filter((a) => !allowed.includes(a)).sort()).toEqual([]);
  });

  it('the ECS-native permissions are limited to the one service, its deployments and revisions', () => {
    const doc = policyOf('DeployPolicy', REQUIRED).PolicyDocument!;
    const of = (action: string) => doc.Statement.find((s) => [s.Action].flat().includes(action));
    expect(of('ecs:UpdateService')?.Resource).toBe(SERVICE);
    expect(of('ecs:ListServiceDeployments')?.Resource).toBe(SERVICE);
    // Describe, Stop and Continue take the service AND the deployment or revision (SAR): both are granted.
    expect(of('ecs:DescribeServiceDeployments')?.Resource).toEqual([SERVICE, DEPLOYMENTS, REVISIONS]);
    expect(of('ecs:DescribeServiceRevisions')?.Resource).toEqual([SERVICE, DEPLOYMENTS, REVISIONS]);
    expect(of('ecs:StopServiceDeployment')?.Resource).toEqual([SERVICE, DEPLOYMENTS]);
    expect(of('ecs:ContinueServiceDeployment')?.Resource).toEqual([SERVICE, DEPLOYMENTS]);
  });

  it('no ECS service wildcard: EcsServiceName has no * default, refuses *, and a deploy role needs it', () => {
    const p = template.Parameters?.EcsServiceName as { Default?: string; AllowedPattern?: string };
    expect(p.Default).toBe('');
    expect(new RegExp(`^(?:${p.AllowedPattern})$`).test('*')).toBe(false);
    const none = evalContext({ ...params, parameters: { ...REQUIRED, EcsServiceName: '' } });
    expect(ruleViolations(none)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DeployRoleNeedsApplicationAndCluster: EcsServiceName must name/),
        expect.stringMatching(/^PlanRoleNeedsApplicationClusterAndFamily: EcsServiceName must name/),
      ]),
    );
    for (const id of ['DeployPolicy', 'ProdPromoteRole', 'ProdPlanRole'])
      expect(JSON.stringify(policyOf(id, REQUIRED))).not.toMatch(/:service\/prod\/\*/);
  });

  it('passes ECS-native roles to ecs.amazonaws.com only, and only when they are listed', () => {
    const passes = (extra: Record<string, string>) =>
      policyOf('DeployPolicy', { ...REQUIRED, ...extra }).PolicyDocument!.Statement.filter(
        (s) => s.Action === 'iam:PassRole',
      );
    expect(passes({})).toHaveLength(1);
    const infra = 'arn:aws:iam::222222222222:role/ecs-infrastructure';
    const both = passes({ EcsNativePassRoleArns: infra });
    expect(both).toHaveLength(2);
    expect(both.find((s) => s.Sid === 'PassEcsNativeRolesToEcsOnly')).toMatchObject({
      Resource: [infra],
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs.amazonaws.com' } },
    });
  });

  it('the promote role may only continue, stop and follow deployments of the one application and service', () => {
    const stmts = policyOf('ProdPromoteRole', REQUIRED).Policies![0]!.PolicyDocument.Statement;
    expect(actions(stmts)).toEqual(
      [
        'codedeploy:GetDeployment',
        'codedeploy:GetDeploymentGroup',
        'codedeploy:ListDeployments',
        'codedeploy:GetApplicationRevision',
        'codedeploy:ContinueDeployment',
        'codedeploy:StopDeployment',
        'codedeploy:GetDeploymentTarget',
        'codedeploy:ListDeploymentTargets',
        'codedeploy:GetDeploymentConfig',
        'ecs:DescribeServices',
        'ecs:ListServiceDeployments',
        'ecs:DescribeServiceDeployments',
        'ecs:DescribeServiceRevisions',
        'ecs:ContinueServiceDeployment',
        'ecs:StopServiceDeployment',
        'cloudwatch:GetMetricData',
        'elasticloadbalancing:DescribeTargetGroups',
      ].sort(),
    );
    expect(stmts.find((s) => s.Sid === 'TheApplication')?.Resource).toEqual([APP, GROUPS]);
    expect(stmts.find((s) => s.Sid === 'ContinueOrStopTheServiceDeployment')?.Resource).toEqual([
      SERVICE,
      DEPLOYMENTS,
    ]);
    // Nothing that changes what runs: no register, no new deployment, no UpdateService, no PassRole.
    expect(actions(stmts).filter((a) => /Register|Create|Update|PassRole|Deregister/.test(a))).toEqual([]);
    expect(template.Resources.ProdPromoteRole?.Properties?.ManagedPolicyArns).toBeUndefined();
  });

  it('the plan role reads only what the plan calls and changes nothing', () => {
    const stmts = policyOf('ProdPlanRole', REQUIRED).Policies![0]!.PolicyDocument.Statement;
    expect(actions(stmts)).toEqual(
      [
        'ecs:DescribeServices',
        'ecs:DescribeTaskDefinition',
        'ecs:ListServiceDeployments',
        'codedeploy:GetApplication',
        'codedeploy:GetDeploymentGroup',
        'codedeploy:ListDeployments',
        'codedeploy:GetDeploymentConfig',
        'elasticloadbalancing:DescribeRules',
        'elasticloadbalancing:DescribeTargetGroups',
      ].sort(),
    );
    for (const a of actions(stmts)) expect(a).toMatch(/:(Describe|Get|List)/);
    const of = (action: string) => stmts.find((s) => [s.Action].flat().includes(action));
    // DescribeTaskDefinition takes no resource type (SAR): a family-scoped statement would never grant it
    expect(of('ecs:DescribeTaskDefinition')?.Resource).toBe('*');
    expect(of('ecs:DescribeServices')?.Resource).toBe(SERVICE);
    expect(of('codedeploy:GetApplication')?.Resource).toEqual([APP, GROUPS]);
  });

  it('no CodeDeploy application wildcard: the parameter has no * default and refuses *', () => {
    const p = template.Parameters?.CodeDeployApplicationName as { Default?: string; AllowedPattern?: string };
    expect(p.Default).not.toBe('*');
    expect(new RegExp(`^(?:${p.AllowedPattern})$`).test('*')).toBe(false);
    expect(new RegExp(`^(?:${p.AllowedPattern})$`).test('AppECS-prod-web')).toBe(true);
    for (const id of ['DeployPolicy', 'ProdPromoteRole', 'ProdPlanRole']) {
      expect(JSON.stringify(policyOf(id, REQUIRED))).not.toMatch(/application:\*|deploymentgroup:\*/);
    }
  });

  it('a deploy role without PassRoleArns, application or cluster is refused by the stack rules, naming the parameter', () => {
    const none = evalContext({ ...params });
    none.parameters = {
      ...none.parameters,
      PassRoleArns: '',
      CodeDeployApplicationName: '',
      EcsClusterName: '',
    };
    const found = ruleViolations(none);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^DeployRoleNeedsPassRoleArns: PassRoleArns must list the task role/),
        expect.stringMatching(/CodeDeployApplicationName must name/),
        expect.stringMatching(/EcsClusterName must name/),
      ]),
    );
    // An empty entry in the list is refused too; the full set passes.
    const gap = evalContext({
      ...params,
      parameters: { PassRoleArns: 'arn:aws:iam::1:role/a,,arn:aws:iam::1:role/b' },
    });
    expect(ruleViolations(gap).join('\n')).toMatch(/PassRoleArns/);
    expect(ruleViolations(evalContext({ ...params, parameters: REQUIRED }))).toEqual([]);
    // The PassRole statement is unconditional now: no deploy policy without it.
    expect(actions(policyOf('DeployPolicy', REQUIRED).PolicyDocument!.Statement)).toContain('iam:PassRole');
  });

  it('the plan role needs the task definition family; a build-only stack needs none of these', () => {
    const plan = evalContext({
      ...params,
      parameters: { CreateDevDeployRole: 'false', CreateProdDeployRole: 'false', TaskDefinitionFamily: '' },
    });
    // (with no deploy role, only the plan role's rule asks for the family)
    expect(ruleViolations(plan)).toEqual([
      expect.stringMatching(/^PlanRoleNeedsApplicationClusterAndFamily: TaskDefinitionFamily must name/),
    ]);
    const build = evalContext({
      ...params,
      parameters: {
        CreateDevDeployRole: 'false',
        CreateProdDeployRole: 'false',
        CreateProdPlanRole: 'false',
        PassRoleArns: '',
        CodeDeployApplicationName: '',
        EcsClusterName: '',
        EcsServiceName: '',
        TaskDefinitionFamily: '',
      },
    });
    expect(ruleViolations(build)).toEqual([]);
  });

  it('the build role pushes to the one repository only, and dev/prod accounts may pull from it', () => {
    const stmts = policyOf('BuildRole').Policies![0]!.PolicyDocument.Statement;
    expect(stmts.find((s) => s.Sid === 'Login')).toMatchObject({
      Action: 'ecr:GetAuthorizationToken',
      Resource: '*',
    });
    expect(stmts.find((s) => s.Sid === 'PushAndCache')?.Resource).toBe(
      'arn:aws:ecr:us-east-1:222222222222:repository/web',
    );
    expect(actions(stmts)).toContain('ecr:PutImage');
    const ctx = evalContext({
      ...params,
      parameters: { DevAccountId: '333333333333', ProdAccountId: '444444444444' },
    });
    const repo = evaluate(ctx, ctx.template.Resources.Repository?.Properties) as {
      RepositoryPolicyText: { Statement: { Principal: { AWS: string[] }; Action: string[] }[] };
    };
    const pull = repo.RepositoryPolicyText.Statement[0]!;
    expect(pull.Principal.AWS).toEqual(['arn:aws:iam::333333333333:root', 'arn:aws:iam::444444444444:root']);
    expect(pull.Action.sort()).toEqual([
      'ecr:BatchCheckLayerAvailability',
      'ecr:BatchGetImage',
      'ecr:GetDownloadUrlForLayer',
    ]);
  });

  it('each role exists only when asked for', () => {
    const ctx = evalContext({
      ...params,
      parameters: { CreateBuildRole: 'false', CreateProdDeployRole: 'false', CreateProdPlanRole: 'false' },
    });
    expect(condition(ctx, 'MakeBuild')).toBe(false);
    expect(condition(ctx, 'MakeDev')).toBe(true);
    expect(condition(ctx, 'DeployRoleInAccount')).toBe(true);
    const none = evalContext({
      ...params,
      parameters: { CreateDevDeployRole: 'false', CreateProdDeployRole: 'false' },
    });
    expect(condition(none, 'DeployRoleInAccount')).toBe(false);
    expect(template.Resources.DevDeployRole?.Condition).toBe('MakeDev');
    expect(template.Resources.DeployPolicy?.Condition).toBe('DeployRoleInAccount');
  });
});
