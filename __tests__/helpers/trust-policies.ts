/**
 * The trust policies of the roles in infra/github-oidc-roles.yml, as plain IAM JSON with the stack
 * parameters substituted, for seeding an IAM emulator (and for checking the conditions offline).
 *
 *   const { dev, prod } = loadTrustPolicies({ githubOrg: 'acme', githubRepo: 'web', accountId: '222222222222' });
 *
 * Principal.Federated is the provider the stack creates in that account
 * (arn:<partition>:iam::<accountId>:oidc-provider/token.actions.githubusercontent.com), or
 * existingOidcProviderArn when given.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluate, loadCloudFormation, type EvalContext } from '../../emulator/cloudformation.js';

export const OIDC_ROLES_TEMPLATE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../infra/github-oidc-roles.yml',
);

export interface TrustPolicyParams {
  githubOrg: string;
  githubRepo: string;
  /** Account the stack is deployed in (owner of the OIDC provider). Default 123456789012. */
  accountId?: string;
  region?: string;
  partition?: string;
  mainBranch?: string;
  devEnvironment?: string;
  prodEnvironment?: string;
  /** '' for no second-approval environment. Default production-reroute. */
  prodRerouteEnvironment?: string;
  existingOidcProviderArn?: string;
  /** Any other stack parameter, by its CloudFormation name. */
  parameters?: Record<string, string>;
}

export interface IamStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal: { Federated: string };
  Action: string | string[];
  Condition: Record<string, Record<string, string | string[]>>;
}
export interface IamPolicyDocument {
  Version: '2012-10-17';
  Statement: IamStatement[];
}
export interface TrustPolicies {
  build: IamPolicyDocument;
  dev: IamPolicyDocument;
  prod: IamPolicyDocument;
  prodPlan: IamPolicyDocument;
  prodPromote: IamPolicyDocument;
}

const ROLE_RESOURCES: Record<keyof TrustPolicies, string> = {
  build: 'BuildRole',
  dev: 'DevDeployRole',
  prod: 'ProdDeployRole',
  prodPlan: 'ProdPlanRole',
  prodPromote: 'ProdPromoteRole',
};

export function stackParameters(p: TrustPolicyParams): Record<string, string> {
  const accountId = p.accountId ?? '123456789012';
  return {
    GitHubOrg: p.githubOrg,
    GitHubRepo: p.githubRepo,
    BuildAccountId: accountId,
    DevAccountId: accountId,
    ProdAccountId: accountId,
    CreateBuildRole: 'true',
    CreateDevDeployRole: 'true',
    CreateProdDeployRole: 'true',
    CreateProdPlanRole: 'true',
    // The values the stack's Rules require with these roles.
    PassRoleArns: `arn:aws:iam::${accountId}:role/task,arn:aws:iam::${accountId}:role/task-execution`,
    CodeDeployApplicationName: 'AppECS-prod-web',
    EcsClusterName: 'prod',
    TaskDefinitionFamily: 'web',
    EcsServiceName: 'web',
    ...(p.mainBranch !== undefined ? { MainBranch: p.mainBranch } : {}),
    ...(p.devEnvironment !== undefined ? { DevEnvironmentName: p.devEnvironment } : {}),
    ...(p.prodEnvironment !== undefined ? { ProdEnvironmentName: p.prodEnvironment } : {}),
    ...(p.prodRerouteEnvironment !== undefined
      ? { ProdRerouteEnvironmentName: p.prodRerouteEnvironment }
      : {}),
    ...(p.existingOidcProviderArn !== undefined
      ? { CreateOidcProvider: 'false', ExistingOidcProviderArn: p.existingOidcProviderArn }
      : {}),
    ...p.parameters,
  };
}

export function evalContext(p: TrustPolicyParams, file: string = OIDC_ROLES_TEMPLATE): EvalContext {
  const accountId = p.accountId ?? '123456789012';
  const partition = p.partition ?? 'aws';
  return {
    template: loadCloudFormation(file),
    parameters: stackParameters(p),
    accountId,
    region: p.region ?? 'us-east-1',
    partition,
    getAtt: (resource, attribute) => {
      if (resource === 'GitHubOidcProvider' && attribute === 'Arn') {
        return `arn:${partition}:iam::${accountId}:oidc-provider/token.actions.githubusercontent.com`;
      }
      if (resource === 'Repository' && attribute === 'Arn') {
        const name = stackParameters(p).EcrRepositoryName ?? 'web';
        return `arn:${partition}:ecr:${p.region ?? 'us-east-1'}:${accountId}:repository/${name}`;
      }
      if (attribute === 'Arn') return `arn:${partition}:iam::${accountId}:role/${resource}`;
      return `{${resource}.${attribute}}`;
    },
  };
}

export function loadTrustPolicies(params: TrustPolicyParams): TrustPolicies {
  const ctx = evalContext(params);
  const out = {} as TrustPolicies;
  for (const [key, logicalId] of Object.entries(ROLE_RESOURCES) as [keyof TrustPolicies, string][]) {
    const resource = ctx.template.Resources[logicalId];
    if (!resource) throw new Error(`${logicalId} is not in ${OIDC_ROLES_TEMPLATE}`);
    out[key] = evaluate(ctx, resource.Properties?.AssumeRolePolicyDocument) as IamPolicyDocument;
  }
  return out;
}
