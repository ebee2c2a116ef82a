/**
 * The emulator's in-memory state: everything ECS, CodeDeploy, ELBv2, STS and IAM know about. Plain data, so a
 * test can inspect it and `snapshot()` can serialise it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { IdentityPolicy } from './iam-template.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface TaskDefinition {
  family: string;
  revision: number;
  taskDefinitionArn: string;
  status: 'ACTIVE' | 'INACTIVE';
  registeredAt: number; // virtual ms
  deregisteredAt?: number;
  registeredBy: string;
  /** the registered document, normalised the way ECS echoes it (without the computed fields above) */
  body: Record<string, unknown>;
  tags: { key: string; value: string }[];
}

export interface TaskSet {
  id: string;
  taskSetArn: string;
  status: 'PRIMARY' | 'ACTIVE' | 'DRAINING';
  taskDefinition: string;
  externalId?: string;
  startedBy: string;
  targetGroupArn: string;
  containerName: string;
  containerPort: number;
  computedDesiredCount: number;
  pendingCount: number;
  runningCount: number;
  stabilityStatus: 'STEADY_STATE' | 'STABILIZING';
  /** percent of production traffic (the listener weight), mirrored in CodeDeploy's taskSetsInfo */
  trafficWeight: number;
  platformVersion: string;
  networkConfiguration: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  /** the replacement tasks never become healthy (faults.stuckInstall; tasks.ts derives tasks and events) */
  stuck?: { since: number; cause: 'health-checks' | 'container-exits' | 'placement'; cycleMs: number };
}

export interface Service {
  clusterName: string;
  serviceName: string;
  serviceArn: string;
  status: 'ACTIVE';
  desiredCount: number;
  taskDefinition: string;
  launchType: string;
  platformVersion: string;
  deploymentController: 'CODE_DEPLOY' | 'ECS' | 'EXTERNAL';
  loadBalancers: { targetGroupArn: string; containerName: string; containerPort: number }[];
  networkConfiguration: Record<string, unknown>;
  createdAt: number;
  taskSets: TaskSet[];
  /** set by UpdateService (enableECSManagedTags, propagateTags, volumeConfigurations); AWS's defaults when absent */
  enableECSManagedTags?: boolean;
  propagateTags?: string;
  volumeConfigurations?: unknown[];
}

export interface Cluster {
  clusterName: string;
  clusterArn: string;
}

export interface TargetGroup {
  arn: string;
  name: string;
  port: number;
}

export interface Listener {
  arn: string;
  loadBalancerArn: string;
  port: number;
  protocol: string;
  /** forward weights by target group ARN */
  forward: { targetGroupArn: string; weight: number }[];
}

export interface LoadBalancer {
  arn: string;
  name: string;
  dnsName: string;
  createdTime: number;
  vpcId: string;
}

export interface Application {
  applicationId: string;
  applicationName: string;
  createTime: number;
  computePlatform: 'ECS';
}

export interface ReadyOption {
  actionOnTimeout: 'CONTINUE_DEPLOYMENT' | 'STOP_DEPLOYMENT';
  waitTimeInMinutes: number;
}

export interface AutoRollbackConfiguration {
  enabled: boolean;
  events: string[];
}

export interface DeploymentGroup {
  applicationName: string;
  deploymentGroupId: string;
  deploymentGroupName: string;
  deploymentConfigName: string;
  serviceRoleArn: string;
  autoRollbackConfiguration: AutoRollbackConfiguration;
  readyOption: ReadyOption;
  terminationWaitMinutes: number;
  ecsService: { serviceName: string; clusterName: string };
  targetGroupNames: [string, string];
  prodListenerArn: string;
  testListenerArn?: string;
  lastSuccessfulDeployment?: { deploymentId: string; status: string; endTime?: number; createTime: number };
  lastAttemptedDeployment?: { deploymentId: string; status: string; endTime?: number; createTime: number };
}

export interface StoredRevision {
  applicationName: string;
  sha256: string;
  content: string;
  registerTime: number;
  firstUsedTime: number;
  lastUsedTime: number;
  deploymentGroups: string[];
}

export type LifecycleEventName =
  | 'BeforeInstall'
  | 'Install'
  | 'AfterInstall'
  | 'AllowTestTraffic'
  | 'AfterAllowTestTraffic'
  | 'BeforeAllowTraffic'
  | 'AllowTraffic'
  | 'AfterAllowTraffic';

export const LIFECYCLE_EVENTS: LifecycleEventName[] = [
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'AllowTestTraffic',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AllowTraffic',
  'AfterAllowTraffic',
];

export type HookEventName =
  'BeforeInstall' | 'AfterInstall' | 'AfterAllowTestTraffic' | 'BeforeAllowTraffic' | 'AfterAllowTraffic';

export const HOOK_EVENTS: HookEventName[] = [
  'BeforeInstall',
  'AfterInstall',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AfterAllowTraffic',
];

export interface LifecycleEvent {
  lifecycleEventName: LifecycleEventName;
  status: 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'Skipped';
  startTime?: number;
  endTime?: number;
  diagnostics?: { errorCode: string; scriptName: string; message: string; logTail: string };
}

export interface ParsedAppSpec {
  taskDefinitionArn: string;
  containerName: string;
  containerPort: number;
  platformVersion?: string;
  networkConfiguration?: Record<string, unknown>;
  hooks: Partial<Record<HookEventName, string>>;
}

export type DeploymentStatus =
  'Created' | 'Queued' | 'InProgress' | 'Baking' | 'Succeeded' | 'Failed' | 'Stopped' | 'Ready';

/** Where a deployment is in its timeline (internal, not on the wire). */
export type Phase =
  | { kind: 'created' }
  | { kind: 'event'; index: number; startedAt: number; endsAt: number; fails?: FailPlan }
  | { kind: 'ready'; since: number }
  | { kind: 'termination'; since: number }
  /** StopDeployment answered Pending (faults.stopPending): Stopped at `until`, the event at `index` still running */
  | { kind: 'stopping'; since: number; until: number; index?: number; rollback?: boolean }
  | { kind: 'done' };

export interface FailPlan {
  errorCode: string;
  scriptName: string;
  message: string;
  logTail: string;
  deploymentErrorCode: string;
  deploymentMessage: string;
}

export interface Deployment {
  deploymentId: string;
  applicationName: string;
  deploymentGroupName: string;
  deploymentConfigName: string;
  status: DeploymentStatus;
  createTime: number;
  startTime?: number;
  completeTime?: number;
  description?: string;
  creator: 'user' | 'codeDeployRollback';
  autoRollbackConfiguration?: AutoRollbackConfiguration;
  rollbackInfo?: {
    rollbackDeploymentId?: string;
    rollbackTriggeringDeploymentId?: string;
    rollbackMessage?: string;
  };
  errorInformation?: { code: string; message: string };
  revisionSha256: string;
  previousRevisionSha256?: string;
  appSpec: ParsedAppSpec;
  readyOption: ReadyOption;
  terminationWaitMinutes: number;
  target: { status: string; lastUpdatedAt: number; events: LifecycleEvent[] };
  phase: Phase;
  /** the set being replaced and the set taking over (for a rollback: the failed green set and the original blue) */
  blueTaskSetId?: string;
  greenTaskSetId?: string;
  blueTargetGroupArn?: string;
  greenTargetGroupArn?: string;
  statusMessages: string[];
}

export interface Role {
  name: string;
  arn: string;
  roleId: string;
  trustPolicy: unknown;
  /** identity policies IAM enforces for its sessions (emulator/iam.ts); none: every call is allowed */
  policies?: IdentityPolicy[];
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: number; // virtual ms
  arn: string;
  assumedRoleId: string;
  /** the role these credentials are a session of */
  roleArn?: string;
}

export type LambdaBehavior =
  'succeed' | { fail: { message: string; logTail?: string } } | { delayMs: number };

export interface EmulatorState {
  region: string;
  accountId: string;
  clusters: Map<string, Cluster>;
  /** family → revisions in order (index = revision - 1) */
  taskDefinitions: Map<string, TaskDefinition[]>;
  services: Map<string, Service>; // key `${cluster}/${service}`
  loadBalancers: Map<string, LoadBalancer>;
  listeners: Map<string, Listener>;
  targetGroups: Map<string, TargetGroup>;
  applications: Map<string, Application>;
  deploymentGroups: Map<string, DeploymentGroup>; // key `${app}/${group}`
  deployments: Map<string, Deployment>; // insertion order = creation order
  revisions: Map<string, StoredRevision>; // key `${app}/${sha256}`
  roles: Map<string, Role>; // by ARN
  lambdas: Map<string, LambdaBehavior>;
  credentials: Map<string, IssuedCredentials>;
}

export function createState(region: string, accountId: string): EmulatorState {
  return {
    region,
    accountId,
    clusters: new Map(),
    taskDefinitions: new Map(),
    services: new Map(),
    loadBalancers: new Map(),
    listeners: new Map(),
    targetGroups: new Map(),
    applications: new Map(),
    deploymentGroups: new Map(),
    deployments: new Map(),
    revisions: new Map(),
    roles: new Map(),
    lambdas: new Map(),
    credentials: new Map(),
  };
}

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function randomString(length: number, alphabet = UPPER_ALNUM): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

export function randomDigits(length: number): string {
  return randomString(length, '0123456789');
}

export function randomHex(length: number): string {
  return randomString(length, '0123456789abcdef');
}

export function uuid(): string {
  return randomUUID();
}

export function clusterArn(s: EmulatorState, cluster: string): string {
  return `arn:aws:ecs:${s.region}:${s.accountId}:cluster/${cluster}`;
}

export function serviceArn(s: EmulatorState, cluster: string, service: string): string {
  return `arn:aws:ecs:${s.region}:${s.accountId}:service/${cluster}/${service}`;
}

export function taskDefinitionArn(s: EmulatorState, family: string, revision: number): string {
  return `arn:aws:ecs:${s.region}:${s.accountId}:task-definition/${family}:${revision}`;
}

/** Find a task definition by ARN, `family:revision` or `family` (latest ACTIVE). */
export function findTaskDefinition(s: EmulatorState, ref: string): TaskDefinition | undefined {
  const m = /^(?:arn:aws[\w-]*:ecs:[^:]+:\d+:task-definition\/)?([A-Za-z0-9_-]+)(?::(\d+))?$/.exec(ref);
  if (!m) return undefined;
  const revisions = s.taskDefinitions.get(m[1] ?? '');
  if (!revisions) return undefined;
  if (m[2] !== undefined) return revisions[Number(m[2]) - 1];
  return [...revisions].reverse().find((t) => t.status === 'ACTIVE');
}

/** Epoch seconds, the awsJson timestamp wire form. */
export function epochSeconds(ms: number): number {
  return Math.round(ms) / 1000;
}
