import { describe, expect, it } from '@jest/globals';
import { condition, evaluate, loadCloudFormation } from '../../helpers/cloudformation.js';
import { evalContext, loadTrustPolicies, OIDC_ROLES_TEMPLATE } from '../../helpers/trust-policies.js';

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

  it('the trust policies pin aud with StringEquals and an exact sub per role', () => {
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
    expect(only(p.build)).toBe('repo:acme/web:ref:refs/heads/main');
    expect(only(p.dev)).toBe('repo:acme/web:environment:dev');
    expect(only(p.prod)).toEqual([
      'repo:acme/web:environment:production',
      'repo:acme/web:environment:production-reroute',
    ]);
    expect(only(p.prodPlan)).toBe('repo:acme/web:ref:refs/heads/main');
  });

  it('a dev-environment subject is not one the prod role trusts (and no wildcard lets it in)', () => {
    const p = loadTrustPolicies(params);
    const prodSubs = [p.prod.Statement[0]!.Condition.StringEquals?.[SUB]].flat();
    expect(prodSubs).not.toContain('repo:acme/web:environment:dev');
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
    expect(p.dev.Statement[0]!.Condition.StringEquals?.[SUB]).toBe('repo:acme/web:environment:development');
    expect(p.prod.Statement[0]!.Condition.StringEquals?.[SUB]).toEqual(['repo:acme/web:environment:prod']);
    expect(p.build.Statement[0]!.Condition.StringEquals?.[SUB]).toBe('repo:acme/web:ref:refs/heads/trunk');
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

  it('the deploy policy allows exactly the calls the action makes', () => {
    const doc = policyOf('DeployPolicy', {
      PassRoleArns: 'arn:aws:iam::222222222222:role/task,arn:aws:iam::222222222222:role/exec',
    }).PolicyDocument!;
    expect(actions(doc.Statement)).toEqual(
      [
        'ecs:DescribeServices',
        'ecs:DescribeTaskDefinition',
        'ecs:RegisterTaskDefinition',
        'ecs:ListTaskDefinitions',
        'ecs:DeregisterTaskDefinition',
        'ecs:TagResource',
        'codedeploy:GetApplication',
        'codedeploy:GetDeploymentGroup',
        'codedeploy:GetDeploymentConfig',
        'codedeploy:ListDeployments',
        'codedeploy:CreateDeployment',
        'codedeploy:GetDeployment',
        'codedeploy:GetDeploymentTarget',
        'codedeploy:ContinueDeployment',
        'codedeploy:StopDeployment',
        'codedeploy:GetApplicationRevision',
        'codedeploy:RegisterApplicationRevision',
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:DescribeLoadBalancers',
        'iam:PassRole',
      ].sort(),
    );
    const pass = doc.Statement.find((s) => s.Action === 'iam:PassRole');
    expect(pass?.Resource).toEqual([
      'arn:aws:iam::222222222222:role/task',
      'arn:aws:iam::222222222222:role/exec',
    ]);
    expect(pass?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
    expect(doc.Statement.find((s) => s.Action === 'ecs:TagResource')?.Condition).toEqual({
      StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' },
    });
  });

  it('without task/execution roles there is no PassRole statement at all', () => {
    const doc = policyOf('DeployPolicy').PolicyDocument!;
    expect(actions(doc.Statement)).not.toContain('iam:PassRole');
  });

  it('the plan role only reads', () => {
    const acts = actions(policyOf('ProdPlanRole').Policies![0]!.PolicyDocument.Statement);
    expect(acts.length).toBeGreaterThan(5);
    for (const a of acts) expect(a).toMatch(/:(Describe|Get|List)/);
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
