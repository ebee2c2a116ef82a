/**
 * The roles of infra/github-oidc-roles.yml as IAM would hold them after the stack is created: each role's
 * name, ARN, trust policy and identity policies (inline `Policies` and the `ManagedPolicyArns` that name a
 * managed policy of the same template), with the stack parameters substituted by the CloudFormation
 * evaluator (emulator/cloudformation.ts). The emulator seeds these roles and enforces their policies
 * (emulator/iam.ts); the tests read the same rendering.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  condition,
  evaluate,
  loadCloudFormation,
  type CfnTemplate,
  type EvalContext,
} from './cloudformation.js';

export const OIDC_ROLES_TEMPLATE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../infra/github-oidc-roles.yml',
);

/** The roles of the template, by the job that assumes them. */
export type RoleKey = 'build' | 'dev' | 'prod' | 'prodPlan' | 'prodPromote';

export const ROLE_RESOURCES: Record<RoleKey, string> = {
  build: 'BuildRole',
  dev: 'DevDeployRole',
  prod: 'ProdDeployRole',
  prodPlan: 'ProdPlanRole',
  prodPromote: 'ProdPromoteRole',
};

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** An identity policy of a role: an inline policy (its PolicyName) or a managed one (its logical id). */
export interface IdentityPolicy {
  name: string;
  document: PolicyDocument;
}

export interface TemplateRole {
  key: RoleKey;
  logicalId: string;
  name: string;
  arn: string;
  trustPolicy: object;
  policies: IdentityPolicy[];
}

export interface RoleStack {
  accountId: string;
  region: string;
  partition?: string;
  /** stack parameters by their CloudFormation name (CommaDelimitedList comma-joined); the rest take their Default */
  parameters: Record<string, string>;
  template?: CfnTemplate;
}

export function stackContext(stack: RoleStack): EvalContext {
  const partition = stack.partition ?? 'aws';
  const { accountId, region } = stack;
  const template = stack.template ?? loadCloudFormation(OIDC_ROLES_TEMPLATE);
  const ctx: EvalContext = {
    template,
    parameters: stack.parameters,
    accountId,
    region,
    partition,
    getAtt: (resource, attribute) => {
      if (resource === 'GitHubOidcProvider' && attribute === 'Arn')
        return `arn:${partition}:iam::${accountId}:oidc-provider/token.actions.githubusercontent.com`;
      if (resource === 'Repository' && attribute === 'Arn') {
        const name = stack.parameters.EcrRepositoryName ?? template.Parameters?.EcrRepositoryName?.Default;
        return `arn:${partition}:ecr:${region}:${accountId}:repository/${name}`;
      }
      const props = template.Resources[resource]?.Properties;
      if (attribute === 'Arn' && props?.RoleName !== undefined)
        return `arn:${partition}:iam::${accountId}:role/${String(evaluate(ctx, props.RoleName))}`;
      if (attribute === 'Arn') return `arn:${partition}:iam::${accountId}:role/${resource}`;
      return `{${resource}.${attribute}}`;
    },
  };
  return ctx;
}

function exists(ctx: EvalContext, logicalId: string): boolean {
  const resource = ctx.template.Resources[logicalId];
  if (!resource) return false;
  return resource.Condition === undefined || condition(ctx, resource.Condition);
}

/** The identity policies of one role resource, evaluated. */
function rolePolicies(ctx: EvalContext, logicalId: string): IdentityPolicy[] {
  const props = ctx.template.Resources[logicalId]?.Properties ?? {};
  const out: IdentityPolicy[] = [];
  for (const raw of (props.Policies as unknown[] | undefined) ?? []) {
    const p = evaluate(ctx, raw) as { PolicyName: string; PolicyDocument: PolicyDocument };
    out.push({ name: p.PolicyName, document: p.PolicyDocument });
  }
  for (const raw of (props.ManagedPolicyArns as unknown[] | undefined) ?? []) {
    const ref = (raw as { Ref?: unknown }).Ref;
    const managed = typeof ref === 'string' ? ctx.template.Resources[ref] : undefined;
    if (!managed || managed.Type !== 'AWS::IAM::ManagedPolicy')
      throw new Error(
        `${logicalId}: ManagedPolicyArns entry ${JSON.stringify(raw)} is not a managed policy of the template`,
      );
    if (!exists(ctx, ref as string))
      throw new Error(`${logicalId} names ${String(ref)}, which the stack would not create`);
    out.push({
      name: ref as string,
      document: evaluate(ctx, managed.Properties?.PolicyDocument) as PolicyDocument,
    });
  }
  return out;
}

/** Every role the stack creates with these parameters. */
export function renderTemplateRoles(stack: RoleStack): Partial<Record<RoleKey, TemplateRole>> {
  const ctx = stackContext(stack);
  const out: Partial<Record<RoleKey, TemplateRole>> = {};
  for (const [key, logicalId] of Object.entries(ROLE_RESOURCES) as [RoleKey, string][]) {
    if (!exists(ctx, logicalId)) continue;
    const props = ctx.template.Resources[logicalId]?.Properties ?? {};
    const name = String(evaluate(ctx, props.RoleName));
    out[key] = {
      key,
      logicalId,
      name,
      arn: `arn:${ctx.partition}:iam::${ctx.accountId}:role/${name}`,
      trustPolicy: evaluate(ctx, props.AssumeRolePolicyDocument) as object,
      policies: rolePolicies(ctx, logicalId),
    };
  }
  return out;
}

/** `ecs:DescribeServices`, … : every action an Allow statement of these policies names (no wildcards here). */
export function grantedActions(policies: IdentityPolicy[]): string[] {
  const actions = new Set<string>();
  for (const p of policies)
    for (const s of p.document.Statement)
      if (s.Effect === 'Allow') for (const a of [s.Action].flat()) actions.add(a);
  return [...actions].sort();
}

/** The lines of one top-level resource of the template (from `  LogicalId:` to the next resource or section). */
export function resourceBlock(templateText: string, logicalId: string): string {
  const lines = templateText.split('\n');
  const start = lines.findIndex((l) => l === `  ${logicalId}:`);
  if (start < 0) throw new Error(`${logicalId} is not a resource of the template`);
  const end = lines.findIndex((l, i) => i > start && /^ {0,2}[A-Za-z#]/.test(l) && !/^ {2}#/.test(l));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/**
 * Actions a role is granted although the action never calls them, each with the template's reason: a
 * comment `# unused: <service>:<Action>: <reason>` (continued on the following comment lines) in the
 * resource block of the role or of a managed policy it attaches.
 */
export function unusedByDesign(templateText: string, logicalIds: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const id of logicalIds) {
    const lines = resourceBlock(templateText, id).split('\n');
    lines.forEach((line, i) => {
      const m = /^\s*# unused: ([a-z0-9-]+:[A-Za-z0-9]+): (.+)$/.exec(line);
      if (!m) return;
      const more: string[] = [];
      for (let j = i + 1; j < lines.length && /^\s*#(?! unused:)/.test(lines[j] as string); j++)
        more.push((lines[j] as string).replace(/^\s*#\s*/, ''));
      out.set(m[1] as string, [m[2] as string, ...more].join(' '));
    });
  }
  return out;
}
