import { ApiError } from '../protocol.js';
import { randomDigits, randomString, uuid, type EmulatorState, type Service } from '../state.js';
import {
  TERMINAL_STATUSES,
  type LifecycleStage,
  type NativeStrategy,
  type NativeTiming,
  type ServiceDeploymentStatus,
} from './stages.js';

// ───────────────────────────── state ─────────────────────────────

export interface AdvancedConfiguration {
  alternateTargetGroupArn?: string;
  productionListenerRule?: string;
  testListenerRule?: string;
  roleArn?: string;
}

export interface NativeLoadBalancer {
  targetGroupArn?: string;
  containerName?: string;
  containerPort?: number;
  advancedConfiguration?: AdvancedConfiguration;
}

export interface NativeHook {
  targetType: 'AWS_LAMBDA' | 'PAUSE';
  hookTargetArn?: string;
  roleArn?: string;
  lifecycleStages: LifecycleStage[];
  hookDetails?: unknown;
  timeoutConfiguration?: { timeoutInMinutes?: number; action?: 'ROLLBACK' | 'CONTINUE' };
}

export interface NativeConfig {
  strategy: NativeStrategy;
  maximumPercent: number;
  minimumHealthyPercent: number;
  bakeTimeInMinutes?: number;
  linearConfiguration?: { stepPercent?: number; stepBakeTimeInMinutes?: number };
  canaryConfiguration?: { canaryPercent?: number; canaryBakeTimeInMinutes?: number };
  lifecycleHooks: NativeHook[];
  deploymentCircuitBreaker: {
    enable: boolean;
    rollback: boolean;
    resetOnHealthyTask?: boolean;
    thresholdConfiguration?: { type?: string; value?: number };
  };
  alarms: { alarmNames: string[]; enable: boolean; rollback: boolean };
}

/** The seeded outcome of the Lambda hooks at one stage (overrides the Lambda's own seeded behaviour). */
export type HookOutcome =
  'SUCCEEDED' | { fail: string } | { inProgressMs: number; then?: 'SUCCEEDED' | { fail: string } };

/** Seed switch: the tasks a deployment starts fail (the circuit breaker counts them). */
export interface FailTasks {
  exitCode?: number;
  /** the container's `reason` */
  reason?: string;
  /** the task's `stoppedReason`; default "Essential container in task exited" */
  stoppedReason?: string;
}

export interface ServiceEvent {
  id: string;
  createdAt: number;
  message: string;
}

/**
 * Where AWS's own pages contradict each other, which one the emulator follows (docs/aws-behaviours.md,
 * "Match AWS where its documentation says otherwise"). Both are modelled; neither is confirmed.
 */
export interface NativeReadings {
  /**
   * UpdateService setting BLUE_GREEN without bakeTimeInMinutes: `api-reference` (default) rejects it ("You
   * must provide this parameter when you use the BLUE_GREEN deployment strategy", SDK DeploymentConfiguration);
   * `cloudformation` takes 2160 minutes for every strategy but ROLLING (AWS::ECS::Service DeploymentConfiguration).
   */
  missingBakeTime: 'api-reference' | 'cloudformation';
  /**
   * The circuit breaker of a BLUE_GREEN, LINEAR or CANARY deployment: `developer-guide` (default) counts failed
   * tasks as for ROLLING ("Both methods only support rolling update deployment and blue/green deployment
   * types", DG deployment-failure-detection); `api-reference` ignores it ("can only be used for services using
   * the rolling update (ECS) deployment type", SDK DeploymentConfiguration).
   */
  circuitBreakerBlueGreen: 'developer-guide' | 'api-reference';
}

export const DEFAULT_READINGS: NativeReadings = {
  missingBakeTime: 'api-reference',
  circuitBreakerBlueGreen: 'developer-guide',
};

export interface NativeService {
  key: string;
  cluster: string;
  service: string;
  config: NativeConfig;
  loadBalancers: NativeLoadBalancer[];
  /** the revision serving production (the last successful target) */
  currentRevisionArn: string;
  /** `ecs-svc/…` id of each revision's deployment as DescribeServices' deployments[] shows it */
  ecsIds: Record<string, string>;
  /** newest first */
  events: ServiceEvent[];
  hookOutcomes: Partial<Record<LifecycleStage, HookOutcome>>;
  failTasks?: FailTasks;
  alarmsInAlarm: string[];
  /** virtual ms after a deployment's creation during which DescribeServices still shows the previous one */
  staleCurrentDeploymentMs: number;
  /** virtual ms after a deployment's creation during which ListServiceDeployments does not list it */
  listLagMs: number;
  timing: NativeTiming;
  readings: NativeReadings;
}

export interface NativeRevision {
  arn: string;
  serviceKey: string;
  taskDefinition: string;
  createdAt: number;
  loadBalancers: NativeLoadBalancer[];
  launchType: string;
  platformVersion: string;
  networkConfiguration: Record<string, unknown>;
}

export type HookStatus = 'AWAITING_ACTION' | 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';

export interface HookExecution {
  hookId: string;
  targetType: 'AWS_LAMBDA' | 'PAUSE';
  targetArn?: string;
  stage: LifecycleStage;
  status: HookStatus;
  startedAt: number;
  /** Lambda: when its final answer is due */
  dueAt?: number;
  /** the answer a Lambda gives at dueAt */
  outcome?: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  message?: string;
  /** pause hooks: when the timeout action applies */
  expiresAt?: number;
  timeoutAction: 'ROLLBACK' | 'CONTINUE';
  finishedAt?: number;
  /** whether the hook's result lets the deployment go on */
  passed?: boolean;
}

export type Work =
  | { kind: 'none' }
  | { kind: 'scaleUp' }
  | { kind: 'test'; weight: number }
  | { kind: 'prod'; weight: number }
  | { kind: 'bake'; ms: number }
  | { kind: 'cleanUp' }
  | { kind: 'rbProd' }
  | { kind: 'rbTest' }
  | { kind: 'rbScaleDown' };

export interface Step {
  stage: LifecycleStage;
  work: Work;
  hooks: boolean;
  /** LINEAR/CANARY: bake after this production step (stage stays PRODUCTION_TRAFFIC_SHIFT) */
  bakeAfterMs?: number;
}

type Phase =
  | { kind: 'pending' }
  | { kind: 'request'; until: number; then: 'rollback' | 'stop' }
  | { kind: 'work'; endsAt: number }
  | { kind: 'hooks'; since: number }
  | { kind: 'stepBake'; endsAt: number }
  | { kind: 'done' };

export interface NativeDeployment {
  arn: string;
  /** `ecs-svc/…`: the id of the target revision's entry in DescribeServices' deployments[] */
  ecsId: string;
  serviceKey: string;
  status: ServiceDeploymentStatus;
  statusReason?: string;
  createdAt: number;
  startedAt?: number;
  updatedAt: number;
  finishedAt?: number;
  stoppedAt?: number;
  lifecycleStage?: LifecycleStage;
  sourceRevisionArns: string[];
  targetRevisionArn: string;
  requested: { target: number; source: number };
  /** the target revision's weights; the source gets the rest */
  weights: { production: number; test: number };
  config: NativeConfig;
  hooks: HookExecution[];
  currentHookIds: string[];
  rollback?: { reason: string; startedAt: number; serviceRevisionArn: string; stage?: LifecycleStage };
  circuitBreaker: { status: string; failureCount: number; threshold: number };
  alarms: { status: string; alarmNames: string[]; triggeredAlarmNames: string[] };
  plan: Step[];
  index: number;
  mode: 'deploy' | 'rollback';
  phase: Phase;
  /** target group serving the source (blue) and the one the target (green) comes up on */
  blueTargetGroupArn?: string;
  greenTargetGroupArn?: string;
  /** emulator-only record: the newer deployment that replaced this one (it ended STOPPED) */
  replacedBy?: string;
  /** emulator-only record: each status taken, in order (a poller can miss short ones) */
  statusHistory: { status: ServiceDeploymentStatus; at: number }[];
  /** emulator-only record: each stage entered, in order */
  history: { stage: LifecycleStage; at: number; mode: 'deploy' | 'rollback' }[];
  /** emulator-only record: every weight change (the API shows only the latest snapshot) */
  weightHistory: { at: number; stage: LifecycleStage; production: number; test: number }[];
}

export interface NativeTask {
  taskArn: string;
  serviceKey: string;
  revisionArn: string;
  taskDefinitionArn: string;
  startedBy: string;
  lastStatus: 'PENDING' | 'RUNNING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  createdAt: number;
  startedAt?: number;
  stoppedAt?: number;
  stoppedReason?: string;
  stopCode?: string;
  containers: { name: string; image: string; exitCode?: number; reason?: string }[];
}

export interface ListenerRule {
  arn: string;
  listenerArn: string;
  forward: { targetGroupArn: string; weight: number }[];
}

export interface NativeState {
  services: Map<string, NativeService>;
  revisions: Map<string, NativeRevision>;
  deployments: Map<string, NativeDeployment>;
  tasks: Map<string, NativeTask>;
  rules: Map<string, ListenerRule>;
  /** the deploymentConfiguration UpdateService set on a CODE_DEPLOY service (it has no native state) */
  codeDeployConfigs: Map<string, NativeConfig>;
}

const STORE = new WeakMap<EmulatorState, NativeState>();

export function nativeState(state: EmulatorState): NativeState {
  let s = STORE.get(state);
  if (!s) {
    s = {
      services: new Map(),
      revisions: new Map(),
      deployments: new Map(),
      tasks: new Map(),
      rules: new Map(),
      codeDeployConfigs: new Map(),
    };
    STORE.set(state, s);
  }
  return s;
}

// ───────────────────────────── helpers ─────────────────────────────

export const invalid = (message: string) => new ApiError('InvalidParameterException', message);

export function clusterOf(state: EmulatorState, ref: unknown): string {
  const raw = typeof ref === 'string' && ref !== '' ? ref : 'default';
  const name = raw.startsWith('arn:') ? (raw.split('/').pop() ?? raw) : raw;
  if (!state.clusters.has(name)) throw new ApiError('ClusterNotFoundException', 'Cluster not found.');
  return name;
}

export function serviceOf(state: EmulatorState, clusterRef: unknown, ref: unknown): Service {
  if (typeof ref !== 'string' || ref === '') throw invalid('service must be specified.');
  let cluster: string;
  let name: string;
  const m = /^arn:aws[\w-]*:ecs:[^:]+:\d+:service\/([^/]+)\/([^/]+)$/.exec(ref);
  if (m) {
    cluster = clusterOf(state, m[1]);
    name = m[2] ?? '';
  } else {
    cluster = clusterOf(state, clusterRef);
    name = ref;
  }
  const svc = state.services.get(`${cluster}/${name}`);
  if (!svc) throw new ApiError('ServiceNotFoundException', 'Service not found.');
  return svc;
}

export function keyOf(svc: Service): string {
  return `${svc.clusterName}/${svc.serviceName}`;
}

export function revisionArn(state: EmulatorState, svc: Service): string {
  return `arn:aws:ecs:${state.region}:${state.accountId}:service-revision/${svc.clusterName}/${svc.serviceName}/${randomDigits(19)}`;
}

export function deploymentArn(state: EmulatorState, svc: Service): string {
  return `arn:aws:ecs:${state.region}:${state.accountId}:service-deployment/${svc.clusterName}/${svc.serviceName}/${randomString(21, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')}`;
}

export function ecsSvcId(): string {
  return `ecs-svc/${randomDigits(19)}`;
}

export function addEvent(n: NativeService, at: number, message: string): void {
  n.events.unshift({ id: uuid(), createdAt: at, message: `(service ${n.service}) ${message}` });
  if (n.events.length > 100) n.events.length = 100;
}

export function setStatus(d: NativeDeployment, status: ServiceDeploymentStatus, at: number): void {
  d.status = status;
  d.statusHistory.push({ status, at });
}

export function isTerminal(status: ServiceDeploymentStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Circuit-breaker threshold: COUNT value, else half the desired count within [3, 200] (DG deployment-circuit-breaker; [U]). */
export function threshold(config: NativeConfig, desired: number): number {
  const t = config.deploymentCircuitBreaker.thresholdConfiguration;
  if (t?.type === 'COUNT' && typeof t.value === 'number') return t.value;
  if (t?.type !== undefined && typeof t.value === 'number')
    return Math.max(1, Math.ceil((desired * t.value) / 100));
  return Math.min(200, Math.max(3, Math.ceil(desired * 0.5)));
}

export function deploymentsOf(ns: NativeState, key: string): NativeDeployment[] {
  return [...ns.deployments.values()].filter((d) => d.serviceKey === key);
}
