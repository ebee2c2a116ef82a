/**
 * ECS-native service deployments (deploymentController ECS; strategy ROLLING, BLUE_GREEN, LINEAR or CANARY) on
 * the emulator's virtual clock: UpdateService creates a service revision and a service deployment, which then
 * walks its lifecycle stages lazily, like the CodeDeploy timeline (every transition is stamped with the time
 * it was due). Also: ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions,
 * StopServiceDeployment, ContinueServiceDeployment, ListTasks / DescribeTasks for the service's tasks, the
 * controller switch CODE_DEPLOY → ECS, and seeding. Sources and unconfirmed points: emulator/README.md,
 * "ECS-native deployments"; reference: /work/shared/reference/ecs-native-deployments.md.
 *
 * The state lives beside the shared EmulatorState (a WeakMap keyed by it), so the shared files stay untouched.
 */
import { registerTaskDefinition, serviceWire } from './ecs.js';
import { ApiError, type JsonHandler } from './protocol.js';
import {
  clusterArn,
  epochSeconds,
  findTaskDefinition,
  randomDigits,
  randomHex,
  randomString,
  serviceArn,
  uuid,
  type EmulatorState,
  type Service,
} from './state.js';
import { isActive } from './timeline.js';
import {
  DEFAULT_NATIVE_TIMING,
  LAMBDA_HOOK_STAGES,
  NATIVE_STRATEGIES,
  PAUSE_HOOK_STAGES,
  productionSteps,
  SERVICE_DEPLOYMENT_STATUSES,
  TERMINAL_STATUSES,
  type LifecycleStage,
  type NativeStrategy,
  type NativeTiming,
  type ServiceDeploymentStatus,
} from './ecs-native-stages.js';

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

type Work =
  | { kind: 'none' }
  | { kind: 'scaleUp' }
  | { kind: 'test'; weight: number }
  | { kind: 'prod'; weight: number }
  | { kind: 'bake'; ms: number }
  | { kind: 'cleanUp' }
  | { kind: 'rbProd' }
  | { kind: 'rbTest' }
  | { kind: 'rbScaleDown' };

interface Step {
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
    };
    STORE.set(state, s);
  }
  return s;
}

// ───────────────────────────── helpers ─────────────────────────────

const invalid = (message: string) => new ApiError('InvalidParameterException', message);

function clusterOf(state: EmulatorState, ref: unknown): string {
  const raw = typeof ref === 'string' && ref !== '' ? ref : 'default';
  const name = raw.startsWith('arn:') ? (raw.split('/').pop() ?? raw) : raw;
  if (!state.clusters.has(name)) throw new ApiError('ClusterNotFoundException', 'Cluster not found.');
  return name;
}

function serviceOf(state: EmulatorState, clusterRef: unknown, ref: unknown): Service {
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

function keyOf(svc: Service): string {
  return `${svc.clusterName}/${svc.serviceName}`;
}

function revisionArn(state: EmulatorState, svc: Service): string {
  return `arn:aws:ecs:${state.region}:${state.accountId}:service-revision/${svc.clusterName}/${svc.serviceName}/${randomDigits(19)}`;
}

function deploymentArn(state: EmulatorState, svc: Service): string {
  return `arn:aws:ecs:${state.region}:${state.accountId}:service-deployment/${svc.clusterName}/${svc.serviceName}/${randomString(21, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')}`;
}

function ecsSvcId(): string {
  return `ecs-svc/${randomDigits(19)}`;
}

function addEvent(n: NativeService, at: number, message: string): void {
  n.events.unshift({ id: uuid(), createdAt: at, message: `(service ${n.service}) ${message}` });
  if (n.events.length > 100) n.events.length = 100;
}

function setStatus(d: NativeDeployment, status: ServiceDeploymentStatus, at: number): void {
  d.status = status;
  d.statusHistory.push({ status, at });
}

function isTerminal(status: ServiceDeploymentStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Circuit-breaker threshold: COUNT value, else half the desired count within [3, 200] (DG deployment-circuit-breaker; [U]). */
function threshold(config: NativeConfig, desired: number): number {
  const t = config.deploymentCircuitBreaker.thresholdConfiguration;
  if (t?.type === 'COUNT' && typeof t.value === 'number') return t.value;
  if (t?.type !== undefined && typeof t.value === 'number')
    return Math.max(1, Math.ceil((desired * t.value) / 100));
  return Math.min(200, Math.max(3, Math.ceil(desired * 0.5)));
}

// ───────────────────────────── configuration ─────────────────────────────

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function range(v: number | undefined, lo: number, hi: number, field: string): void {
  if (v !== undefined && (v < lo || v > hi))
    throw invalid(`${field} must be between ${lo} and ${hi}; got ${v}.`);
}

/** Validate and merge a `deploymentConfiguration` the way UpdateService takes it (only fields given change). */
export function mergeConfig(base: NativeConfig, raw: unknown): NativeConfig {
  if (raw === undefined || raw === null) return base;
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw invalid('deploymentConfiguration must be an object.');
  const c = raw as Record<string, unknown>;
  const out: NativeConfig = { ...base };
  if (c.strategy !== undefined) {
    if (!NATIVE_STRATEGIES.includes(c.strategy as NativeStrategy))
      throw invalid(
        `deploymentConfiguration.strategy must be one of ${NATIVE_STRATEGIES.join(', ')}; got ${String(c.strategy)}.`,
      );
    out.strategy = c.strategy as NativeStrategy;
  }
  if (num(c.maximumPercent) !== undefined) out.maximumPercent = num(c.maximumPercent)!;
  if (num(c.minimumHealthyPercent) !== undefined) out.minimumHealthyPercent = num(c.minimumHealthyPercent)!;
  if (c.bakeTimeInMinutes !== undefined) {
    range(num(c.bakeTimeInMinutes), 0, 1440, 'deploymentConfiguration.bakeTimeInMinutes');
    out.bakeTimeInMinutes = num(c.bakeTimeInMinutes);
  }
  if (c.linearConfiguration !== undefined) {
    const l = c.linearConfiguration as Record<string, unknown>;
    range(num(l.stepPercent), 3, 100, 'linearConfiguration.stepPercent');
    range(num(l.stepBakeTimeInMinutes), 0, 1440, 'linearConfiguration.stepBakeTimeInMinutes');
    out.linearConfiguration = {
      ...(num(l.stepPercent) !== undefined ? { stepPercent: num(l.stepPercent) } : {}),
      ...(num(l.stepBakeTimeInMinutes) !== undefined
        ? { stepBakeTimeInMinutes: num(l.stepBakeTimeInMinutes) }
        : {}),
    };
  }
  if (c.canaryConfiguration !== undefined) {
    const k = c.canaryConfiguration as Record<string, unknown>;
    range(num(k.canaryPercent), 0.1, 100, 'canaryConfiguration.canaryPercent');
    range(num(k.canaryBakeTimeInMinutes), 0, 1440, 'canaryConfiguration.canaryBakeTimeInMinutes');
    out.canaryConfiguration = {
      ...(num(k.canaryPercent) !== undefined ? { canaryPercent: num(k.canaryPercent) } : {}),
      ...(num(k.canaryBakeTimeInMinutes) !== undefined
        ? { canaryBakeTimeInMinutes: num(k.canaryBakeTimeInMinutes) }
        : {}),
    };
  }
  if (c.lifecycleHooks !== undefined) out.lifecycleHooks = parseHooks(c.lifecycleHooks);
  if (c.deploymentCircuitBreaker !== undefined) {
    const b = c.deploymentCircuitBreaker as Record<string, unknown>;
    if (typeof b.enable !== 'boolean' || typeof b.rollback !== 'boolean')
      throw invalid(
        'deploymentCircuitBreaker.enable and deploymentCircuitBreaker.rollback are required booleans.',
      );
    out.deploymentCircuitBreaker = {
      enable: b.enable,
      rollback: b.rollback,
      ...(typeof b.resetOnHealthyTask === 'boolean' ? { resetOnHealthyTask: b.resetOnHealthyTask } : {}),
      ...(b.thresholdConfiguration !== undefined
        ? { thresholdConfiguration: b.thresholdConfiguration as { type?: string; value?: number } }
        : {}),
    };
  }
  if (c.alarms !== undefined) {
    const a = c.alarms as Record<string, unknown>;
    if (!Array.isArray(a.alarmNames) || typeof a.enable !== 'boolean' || typeof a.rollback !== 'boolean')
      throw invalid('alarms.alarmNames, alarms.enable and alarms.rollback are required.');
    out.alarms = { alarmNames: a.alarmNames.map(String), enable: a.enable, rollback: a.rollback };
  }
  return out;
}

function parseHooks(raw: unknown): NativeHook[] {
  if (!Array.isArray(raw)) throw invalid('deploymentConfiguration.lifecycleHooks must be a list.');
  const hooks = raw.map((h, i) => {
    const o = (h ?? {}) as Record<string, unknown>;
    const where = `deploymentConfiguration.lifecycleHooks[${i}]`;
    const targetType = (o.targetType ?? 'AWS_LAMBDA') as string;
    if (targetType !== 'AWS_LAMBDA' && targetType !== 'PAUSE')
      throw invalid(`${where}.targetType must be AWS_LAMBDA or PAUSE; got ${targetType}.`);
    const stages = o.lifecycleStages;
    if (!Array.isArray(stages) || stages.length === 0)
      throw invalid(`${where}.lifecycleStages must name at least one stage.`);
    const allowed = targetType === 'PAUSE' ? PAUSE_HOOK_STAGES : LAMBDA_HOOK_STAGES;
    for (const s of stages)
      if (!allowed.includes(s as LifecycleStage))
        throw invalid(
          `${where}.lifecycleStages: ${String(s)} is not a stage a ${targetType} hook can use; use one of ${allowed.join(', ')}.`,
        );
    if (targetType === 'AWS_LAMBDA') {
      if (typeof o.hookTargetArn !== 'string' || o.hookTargetArn === '')
        throw invalid(`${where}.hookTargetArn is required for an AWS_LAMBDA hook.`);
      if (typeof o.roleArn !== 'string' || o.roleArn === '')
        throw invalid(`${where}.roleArn is required for an AWS_LAMBDA hook.`);
    }
    const t = (o.timeoutConfiguration ?? undefined) as Record<string, unknown> | undefined;
    if (t) {
      range(
        num(t.timeoutInMinutes),
        1,
        targetType === 'PAUSE' ? 20160 : 1440,
        `${where}.timeoutConfiguration.timeoutInMinutes`,
      );
      if (t.action !== undefined && t.action !== 'ROLLBACK' && t.action !== 'CONTINUE')
        throw invalid(`${where}.timeoutConfiguration.action must be ROLLBACK or CONTINUE.`);
    }
    const hook: NativeHook = {
      targetType: targetType as 'AWS_LAMBDA' | 'PAUSE',
      lifecycleStages: stages as LifecycleStage[],
      ...(typeof o.hookTargetArn === 'string' ? { hookTargetArn: o.hookTargetArn } : {}),
      ...(typeof o.roleArn === 'string' ? { roleArn: o.roleArn } : {}),
      ...(o.hookDetails !== undefined ? { hookDetails: o.hookDetails } : {}),
      ...(t
        ? {
            timeoutConfiguration: {
              ...(num(t.timeoutInMinutes) !== undefined ? { timeoutInMinutes: num(t.timeoutInMinutes) } : {}),
              ...(t.action !== undefined ? { action: t.action as 'ROLLBACK' | 'CONTINUE' } : {}),
            },
          }
        : {}),
    };
    return hook;
  });
  if (hooks.filter((h) => h.targetType === 'PAUSE').length > 10)
    throw invalid('A service can have at most 10 PAUSE lifecycle hooks.');
  if (hooks.filter((h) => h.targetType === 'AWS_LAMBDA').length > 10)
    throw invalid('A service can have at most 10 AWS_LAMBDA lifecycle hooks.');
  return hooks;
}

export function defaultConfig(): NativeConfig {
  return {
    strategy: 'ROLLING',
    maximumPercent: 200,
    minimumHealthyPercent: 100,
    lifecycleHooks: [],
    deploymentCircuitBreaker: { enable: false, rollback: false },
    alarms: { alarmNames: [], enable: false, rollback: false },
  };
}

function configWire(c: NativeConfig): Record<string, unknown> {
  return {
    strategy: c.strategy,
    maximumPercent: c.maximumPercent,
    minimumHealthyPercent: c.minimumHealthyPercent,
    deploymentCircuitBreaker: c.deploymentCircuitBreaker,
    alarms: c.alarms,
    ...(c.bakeTimeInMinutes !== undefined ? { bakeTimeInMinutes: c.bakeTimeInMinutes } : {}),
    ...(c.linearConfiguration ? { linearConfiguration: c.linearConfiguration } : {}),
    ...(c.canaryConfiguration ? { canaryConfiguration: c.canaryConfiguration } : {}),
    ...(c.lifecycleHooks.length ? { lifecycleHooks: c.lifecycleHooks } : {}),
  };
}

function parseLoadBalancers(raw: unknown): NativeLoadBalancer[] {
  if (!Array.isArray(raw)) throw invalid('loadBalancers must be a list.');
  return raw.map((lb, i) => {
    const o = (lb ?? {}) as Record<string, unknown>;
    const out: NativeLoadBalancer = {};
    if (typeof o.targetGroupArn === 'string') out.targetGroupArn = o.targetGroupArn;
    if (typeof o.containerName === 'string') out.containerName = o.containerName;
    if (typeof o.containerPort === 'number') out.containerPort = o.containerPort;
    if (o.advancedConfiguration !== undefined && o.advancedConfiguration !== null) {
      const a = o.advancedConfiguration as Record<string, unknown>;
      if (typeof a.alternateTargetGroupArn !== 'string' || typeof a.productionListenerRule !== 'string')
        throw invalid(
          `loadBalancers[${i}].advancedConfiguration needs alternateTargetGroupArn and productionListenerRule.`,
        );
      out.advancedConfiguration = {
        alternateTargetGroupArn: a.alternateTargetGroupArn,
        productionListenerRule: a.productionListenerRule,
        ...(typeof a.testListenerRule === 'string' ? { testListenerRule: a.testListenerRule } : {}),
        ...(typeof a.roleArn === 'string' ? { roleArn: a.roleArn } : {}),
      };
    }
    return out;
  });
}

// ───────────────────────────── tasks ─────────────────────────────

function launchTasks(
  state: EmulatorState,
  ns: NativeState,
  n: NativeService,
  rev: NativeRevision,
  count: number,
  at: number,
  startedBy: string,
  running = false,
): NativeTask[] {
  const td = findTaskDefinition(state, rev.taskDefinition);
  const containers = ((td?.body.containerDefinitions ?? []) as { name?: string; image?: string }[]).map(
    (c) => ({ name: c.name ?? 'app', image: c.image ?? '' }),
  );
  const out: NativeTask[] = [];
  for (let i = 0; i < count; i++) {
    const taskArn = `arn:aws:ecs:${state.region}:${state.accountId}:task/${n.cluster}/${randomHex(32)}`;
    const t: NativeTask = {
      taskArn,
      serviceKey: n.key,
      revisionArn: rev.arn,
      taskDefinitionArn: rev.taskDefinition,
      startedBy,
      lastStatus: running ? 'RUNNING' : 'PENDING',
      desiredStatus: 'RUNNING',
      createdAt: at,
      ...(running ? { startedAt: at } : {}),
      containers: containers.map((c) => ({ ...c })),
    };
    ns.tasks.set(taskArn, t);
    out.push(t);
  }
  if (!running && out.length)
    addEvent(
      n,
      at,
      `has started ${out.length} tasks: ${out.map((t) => `(task ${t.taskArn.split('/').pop()})`).join(' ')}.`,
    );
  return out;
}

function tasksOf(ns: NativeState, revArn: string, status?: NativeTask['lastStatus']): NativeTask[] {
  return [...ns.tasks.values()].filter(
    (t) =>
      t.revisionArn === revArn &&
      (status === undefined ? t.lastStatus !== 'STOPPED' : t.lastStatus === status),
  );
}

function stopTasks(
  n: NativeService,
  tasks: NativeTask[],
  at: number,
  reason: string,
  stopCode: string,
  exit?: { exitCode: number; reason?: string },
): void {
  if (!tasks.length) return;
  for (const t of tasks) {
    t.lastStatus = 'STOPPED';
    t.desiredStatus = 'STOPPED';
    t.stoppedAt = at;
    t.stoppedReason = reason;
    t.stopCode = stopCode;
    t.containers = t.containers.map((c) => ({
      ...c,
      exitCode: exit?.exitCode ?? 0,
      ...(exit?.reason ? { reason: exit.reason } : {}),
    }));
  }
  addEvent(
    n,
    at,
    `has stopped ${tasks.length} running tasks: ${tasks.map((t) => `(task ${t.taskArn.split('/').pop()})`).join(' ')}.`,
  );
}

function counts(ns: NativeState, revArn: string): { running: number; pending: number } {
  let running = 0;
  let pending = 0;
  for (const t of ns.tasks.values()) {
    if (t.revisionArn !== revArn) continue;
    if (t.lastStatus === 'RUNNING') running++;
    else if (t.lastStatus === 'PENDING') pending++;
  }
  return { running, pending };
}

// ───────────────────────────── listener rules and weights ─────────────────────────────

function forwardOf(state: EmulatorState, ns: NativeState, arn: string | undefined) {
  if (!arn) return undefined;
  return ns.rules.get(arn)?.forward ?? state.listeners.get(arn)?.forward;
}

function setForward(
  state: EmulatorState,
  ns: NativeState,
  arn: string | undefined,
  blue: string | undefined,
  green: string | undefined,
  greenWeight: number,
): void {
  if (!arn || !blue || !green) return;
  const forward = [
    { targetGroupArn: blue, weight: 100 - greenWeight },
    { targetGroupArn: green, weight: greenWeight },
  ];
  const rule = ns.rules.get(arn);
  if (rule) rule.forward = forward;
  const listener = state.listeners.get(arn);
  if (listener) listener.forward = forward;
}

/** Why the load-balancer setup cannot shift traffic (checked when the first shift starts: AWS fails late). */
function networkingProblem(state: EmulatorState, ns: NativeState, n: NativeService): string | undefined {
  for (const lb of n.loadBalancers) {
    const a = lb.advancedConfiguration;
    if (!a)
      return `Service deployment failed: the load balancer of target group ${lb.targetGroupArn ?? '(none)'} has no advancedConfiguration (alternateTargetGroupArn, productionListenerRule, roleArn); the ${n.config.strategy} strategy needs it to shift traffic.`;
    if (!a.roleArn)
      return `Service deployment failed: advancedConfiguration.roleArn is missing; Amazon ECS needs an infrastructure role (AmazonECSInfrastructureRolePolicyForLoadBalancers) to change the listener rules.`;
    if (!state.roles.has(a.roleArn))
      return `Service deployment failed: Amazon ECS could not assume the infrastructure role ${a.roleArn}.`;
    const prod = forwardOf(state, ns, a.productionListenerRule);
    const test = a.testListenerRule ? forwardOf(state, ns, a.testListenerRule) : undefined;
    const groups = new Set([...(prod ?? []), ...(test ?? [])].map((f) => f.targetGroupArn));
    if (
      !prod ||
      !lb.targetGroupArn ||
      !groups.has(lb.targetGroupArn) ||
      !groups.has(a.alternateTargetGroupArn ?? '')
    )
      return 'Service deployment rolled back because of invalid networking configuration. Both targetGroup and alternateTargetGroup must be associated with the productionListenerRule or testListenerRule.';
  }
  return undefined;
}

// ───────────────────────────── the timeline ─────────────────────────────

export interface NativeContext {
  state: EmulatorState;
}

function planFor(config: NativeConfig, reconcile: boolean): Step[] {
  const none: Work = { kind: 'none' };
  if (config.strategy === 'ROLLING')
    return [
      { stage: 'PRE_SCALE_UP', work: none, hooks: true },
      { stage: 'SCALE_UP', work: { kind: 'scaleUp' }, hooks: false },
      { stage: 'POST_SCALE_UP', work: none, hooks: true },
      { stage: 'CLEAN_UP', work: { kind: 'cleanUp' }, hooks: false },
    ];
  const steps: Step[] = [];
  if (reconcile) steps.push({ stage: 'RECONCILE_SERVICE', work: none, hooks: true });
  steps.push(
    { stage: 'PRE_SCALE_UP', work: none, hooks: true },
    { stage: 'SCALE_UP', work: { kind: 'scaleUp' }, hooks: false },
    { stage: 'POST_SCALE_UP', work: none, hooks: true },
    { stage: 'TEST_TRAFFIC_SHIFT', work: { kind: 'test', weight: 100 }, hooks: true },
    { stage: 'POST_TEST_TRAFFIC_SHIFT', work: none, hooks: true },
  );
  const weights = productionSteps(config.strategy, config.linearConfiguration, config.canaryConfiguration);
  const stepBakeMin =
    config.strategy === 'LINEAR'
      ? (config.linearConfiguration?.stepBakeTimeInMinutes ?? 6)
      : config.strategy === 'CANARY'
        ? (config.canaryConfiguration?.canaryBakeTimeInMinutes ?? 10)
        : 0;
  for (const w of weights) {
    steps.push({ stage: 'PRE_PRODUCTION_TRAFFIC_SHIFT', work: none, hooks: true });
    steps.push({
      stage: 'PRODUCTION_TRAFFIC_SHIFT',
      work: { kind: 'prod', weight: w },
      hooks: true,
      ...(w < 100 && stepBakeMin > 0 ? { bakeAfterMs: stepBakeMin * 60_000 } : {}),
    });
  }
  steps.push(
    { stage: 'POST_PRODUCTION_TRAFFIC_SHIFT', work: none, hooks: true },
    {
      stage: 'BAKE_TIME',
      work: { kind: 'bake', ms: (config.bakeTimeInMinutes ?? 0) * 60_000 },
      hooks: false,
    },
    { stage: 'CLEAN_UP', work: { kind: 'cleanUp' }, hooks: false },
  );
  return steps;
}

function serviceOfDeployment(ctx: NativeContext, d: NativeDeployment) {
  const ns = nativeState(ctx.state);
  const n = ns.services.get(d.serviceKey);
  const svc = ctx.state.services.get(d.serviceKey);
  if (!n || !svc) throw new Error(`emulator: service ${d.serviceKey} of ${d.arn} vanished`);
  return { ns, n, svc };
}

function recordWeights(d: NativeDeployment, at: number, stage: LifecycleStage): void {
  d.weightHistory.push({ at, stage, production: d.weights.production, test: d.weights.test });
}

function enterStep(ctx: NativeContext, d: NativeDeployment, index: number, at: number): void {
  d.index = index;
  const step = d.plan[index];
  if (!step) return finish(ctx, d, at);
  const { ns, n, svc } = serviceOfDeployment(ctx, d);
  d.lifecycleStage = step.stage;
  d.updatedAt = at;
  d.history.push({ stage: step.stage, at, mode: d.mode });
  const t = n.timing;
  const target = ns.revisions.get(d.targetRevisionArn)!;
  const w = step.work;
  let ms = t.stageMs;
  switch (w.kind) {
    case 'none':
      break;
    case 'scaleUp':
      d.requested.target = svc.desiredCount;
      launchTasks(ctx.state, ns, n, target, svc.desiredCount, at, d.ecsId);
      ms = n.failTasks ? t.taskFailMs : t.scaleUpMs;
      break;
    case 'test':
    case 'prod': {
      if (w.kind === 'test' || d.weights.production === 0) {
        const problem = n.loadBalancers.length ? networkingProblem(ctx.state, ns, n) : undefined;
        if (problem) {
          addEvent(n, at, problem);
          return startRollback(ctx, d, at, problem, false);
        }
      }
      const a = n.loadBalancers[0]?.advancedConfiguration;
      if (w.kind === 'test') {
        d.weights.test = w.weight;
        setForward(ctx.state, ns, a?.testListenerRule, d.blueTargetGroupArn, d.greenTargetGroupArn, w.weight);
      } else {
        d.weights.production = w.weight;
        setForward(
          ctx.state,
          ns,
          a?.productionListenerRule,
          d.blueTargetGroupArn,
          d.greenTargetGroupArn,
          w.weight,
        );
      }
      recordWeights(d, at, step.stage);
      ms = t.trafficShiftMs;
      break;
    }
    case 'bake':
      ms = w.ms;
      break;
    case 'cleanUp':
      ms = t.cleanUpMs;
      break;
    case 'rbProd':
    case 'rbTest': {
      const a = n.loadBalancers[0]?.advancedConfiguration;
      if (w.kind === 'rbProd') {
        d.weights.production = 0;
        setForward(ctx.state, ns, a?.productionListenerRule, d.blueTargetGroupArn, d.greenTargetGroupArn, 0);
      } else {
        d.weights.test = 0;
        setForward(ctx.state, ns, a?.testListenerRule, d.blueTargetGroupArn, d.greenTargetGroupArn, 0);
      }
      recordWeights(d, at, step.stage);
      ms = t.rollbackStepMs;
      break;
    }
    case 'rbScaleDown':
      ms = t.rollbackStepMs;
      break;
  }
  d.phase = { kind: 'work', endsAt: at + ms };
}

function finishWork(ctx: NativeContext, d: NativeDeployment, at: number): void {
  const step = d.plan[d.index];
  if (!step) return finish(ctx, d, at);
  const { ns, n } = serviceOfDeployment(ctx, d);
  const w = step.work;
  if (w.kind === 'scaleUp') {
    const pending = tasksOf(ns, d.targetRevisionArn, 'PENDING');
    if (n.failTasks) {
      const f = n.failTasks;
      stopTasks(
        n,
        pending,
        at,
        f.stoppedReason ?? 'Essential container in task exited',
        'EssentialContainerExited',
        {
          exitCode: f.exitCode ?? 1,
          ...(f.reason ? { reason: f.reason } : {}),
        },
      );
      const cb = d.circuitBreaker;
      if (d.config.deploymentCircuitBreaker.enable) {
        cb.failureCount += pending.length;
        if (cb.failureCount >= cb.threshold) {
          cb.status = 'TRIGGERED';
          const reason = `Circuit breaker triggered: ${cb.failureCount} tasks failed to start (threshold ${cb.threshold}).`;
          addEvent(n, at, `(deployment ${d.ecsId}) deployment failed: tasks failed to start.`);
          if (d.config.deploymentCircuitBreaker.rollback) return startRollback(ctx, d, at, reason, false);
          return stopDeployment(ctx, d, at, reason);
        }
      }
      launchTasks(ctx.state, ns, n, ns.revisions.get(d.targetRevisionArn)!, pending.length, at, d.ecsId);
      d.phase = { kind: 'work', endsAt: at + n.timing.taskFailMs };
      d.updatedAt = at;
      return;
    }
    for (const t of pending) {
      t.lastStatus = 'RUNNING';
      t.startedAt = at;
    }
  }
  if (w.kind === 'cleanUp') {
    for (const src of d.sourceRevisionArns)
      stopTasks(
        n,
        tasksOf(ns, src),
        at,
        `Scaling activity initiated by (deployment ${d.ecsId})`,
        'ServiceSchedulerInitiated',
      );
    d.requested.source = 0;
  }
  if (w.kind === 'rbScaleDown') {
    stopTasks(
      n,
      tasksOf(ns, d.targetRevisionArn),
      at,
      `Scaling activity initiated by (deployment ${d.ecsId})`,
      'ServiceSchedulerInitiated',
    );
    d.requested.target = 0;
  }
  d.updatedAt = at;
  startHooks(ctx, d, step, at);
}

/** Seeded answer of a Lambda hook at a stage. */
function lambdaOutcome(
  ctx: NativeContext,
  n: NativeService,
  hook: NativeHook,
  stage: LifecycleStage,
): { ms: number; outcome: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT'; message?: string } {
  const t = n.timing;
  const seeded = n.hookOutcomes[stage];
  const fnName = (hook.hookTargetArn ?? '').split(':').pop()?.split('/').pop() ?? '';
  const resolve = (o: HookOutcome, ms: number): ReturnType<typeof lambdaOutcome> => {
    if (o === 'SUCCEEDED') return { ms, outcome: 'SUCCEEDED' };
    if ('fail' in o) return { ms, outcome: 'FAILED', message: o.fail };
    if (o.inProgressMs > t.lambdaStageLimitMs)
      return {
        ms: t.lambdaStageLimitMs,
        outcome: 'TIMED_OUT',
        message: `Lambda hook ${fnName} returned IN_PROGRESS past the 24-hour stage limit at ${stage}.`,
      };
    return resolve(o.then ?? 'SUCCEEDED', o.inProgressMs);
  };
  if (seeded) return resolve(seeded, t.hookMs);
  const behavior = ctx.state.lambdas.get(fnName);
  if (behavior === undefined)
    return {
      ms: t.stageMs,
      outcome: 'FAILED',
      message: `Function not found: ${hook.hookTargetArn ?? fnName}`,
    };
  if (behavior === 'succeed') return { ms: t.hookMs, outcome: 'SUCCEEDED' };
  if ('delayMs' in behavior) return resolve({ inProgressMs: behavior.delayMs }, t.hookMs);
  return { ms: t.hookMs, outcome: 'FAILED', message: behavior.fail.message };
}

function startHooks(ctx: NativeContext, d: NativeDeployment, step: Step, at: number): void {
  const { n } = serviceOfDeployment(ctx, d);
  d.currentHookIds = [];
  if (step.hooks)
    for (const hook of d.config.lifecycleHooks) {
      if (!hook.lifecycleStages.includes(step.stage)) continue;
      // during a rollback only the Lambda hooks of the traffic-shift stages run again (DG lambda-lifecycle-hooks)
      if (d.mode === 'rollback' && hook.targetType !== 'AWS_LAMBDA') continue;
      const timeoutAction = hook.timeoutConfiguration?.action ?? 'ROLLBACK';
      const exec: HookExecution = {
        hookId: randomString(24, 'abcdefghijklmnopqrstuvwxyz0123456789'),
        targetType: hook.targetType,
        ...(hook.hookTargetArn ? { targetArn: hook.hookTargetArn } : {}),
        stage: step.stage,
        status: hook.targetType === 'PAUSE' ? 'AWAITING_ACTION' : 'IN_PROGRESS',
        startedAt: at,
        timeoutAction,
      };
      if (hook.targetType === 'PAUSE') {
        exec.expiresAt = at + (hook.timeoutConfiguration?.timeoutInMinutes ?? 1440) * 60_000;
        addEvent(
          n,
          at,
          `(deployment ${d.ecsId}) lifecycle hook ${exec.hookId} at ${step.stage} is awaiting action.`,
        );
      } else {
        const o = lambdaOutcome(ctx, n, hook, step.stage);
        exec.dueAt = at + o.ms;
        exec.outcome = o.outcome;
        if (o.message) exec.message = o.message;
      }
      d.hooks.push(exec);
      d.currentHookIds.push(exec.hookId);
    }
  d.phase = { kind: 'hooks', since: at };
}

function resolveHook(
  d: NativeDeployment,
  h: HookExecution,
  at: number,
  status: HookStatus,
  passed: boolean,
): void {
  h.status = status;
  h.finishedAt = at;
  h.passed = passed;
  d.updatedAt = at;
}

/** Settle due hooks; when all of the stage's hooks are done, move on (or roll back). Returns true if still waiting. */
function advanceHooks(ctx: NativeContext, d: NativeDeployment, now: number): boolean {
  for (;;) {
    const open = d.hooks.filter((h) => d.currentHookIds.includes(h.hookId) && h.finishedAt === undefined);
    if (!open.length) break;
    const due = (h: HookExecution) => h.dueAt ?? h.expiresAt ?? Infinity;
    const next = open.reduce((a, b) => (due(b) < due(a) ? b : a));
    const at = due(next);
    if (at > now) return true;
    if (next.targetType === 'PAUSE') {
      resolveHook(d, next, at, 'TIMED_OUT', next.timeoutAction === 'CONTINUE');
      next.message = `Pause hook ${next.hookId} at ${next.stage} timed out; timeout action ${next.timeoutAction}.`;
    } else resolveHook(d, next, at, next.outcome ?? 'SUCCEEDED', next.outcome === 'SUCCEEDED');
  }
  const mine = d.hooks.filter((h) => d.currentHookIds.includes(h.hookId));
  const since = d.phase.kind === 'hooks' ? d.phase.since : 0;
  const at = mine.reduce((m, h) => Math.max(m, h.finishedAt ?? 0), since);
  const failed = mine.find((h) => !h.passed);
  const step = d.plan[d.index];
  if (failed) {
    const reason =
      failed.message ??
      (failed.targetType === 'PAUSE'
        ? `Pause hook ${failed.hookId} at ${failed.stage} asked for a rollback.`
        : `Lambda hook ${failed.targetArn ?? ''} returned FAILED at ${failed.stage}.`);
    const full =
      failed.targetType === 'AWS_LAMBDA' && failed.message
        ? `Lambda hook ${failed.targetArn ?? ''} failed at ${failed.stage}: ${failed.message}`
        : reason;
    if (d.mode === 'rollback') {
      finishRollback(ctx, d, at, 'ROLLBACK_FAILED', `Rollback failed: ${full}`);
      return false;
    }
    startRollback(ctx, d, at, full, false);
    return false;
  }
  if (step?.bakeAfterMs) {
    d.phase = { kind: 'stepBake', endsAt: at + step.bakeAfterMs };
    return false;
  }
  enterStep(ctx, d, d.index + 1, at);
  return false;
}

function alarmCheck(ctx: NativeContext, d: NativeDeployment, at: number): boolean {
  const { n } = serviceOfDeployment(ctx, d);
  const a = d.config.alarms;
  if (!a.enable || d.mode !== 'deploy') return false;
  const triggered = a.alarmNames.filter((x) => n.alarmsInAlarm.includes(x));
  if (!triggered.length) return false;
  d.alarms.status = 'TRIGGERED';
  d.alarms.triggeredAlarmNames = triggered;
  const reason = `CloudWatch alarm(s) ${triggered.join(', ')} in ALARM.`;
  if (a.rollback) startRollback(ctx, d, at, reason, false);
  else stopDeployment(ctx, d, at, reason);
  return true;
}

function begin(ctx: NativeContext, d: NativeDeployment, at: number): void {
  const { ns, n } = serviceOfDeployment(ctx, d);
  setStatus(d, 'IN_PROGRESS', at);
  d.startedAt = at;
  d.updatedAt = at;
  d.circuitBreaker.status = d.config.deploymentCircuitBreaker.enable ? 'MONITORING' : 'DISABLED';
  d.alarms.status = d.config.alarms.enable ? 'MONITORING' : 'DISABLED';
  const lb = n.loadBalancers[0];
  const source = d.sourceRevisionArns[0];
  const sourceTg = source ? ns.revisions.get(source)?.loadBalancers[0]?.targetGroupArn : undefined;
  const blue = sourceTg ?? lb?.targetGroupArn;
  const alt = lb?.advancedConfiguration?.alternateTargetGroupArn;
  const green = blue === lb?.targetGroupArn ? alt : lb?.targetGroupArn;
  if (blue) d.blueTargetGroupArn = blue;
  if (green) d.greenTargetGroupArn = green;
  enterStep(ctx, d, 0, at);
}

function finish(ctx: NativeContext, d: NativeDeployment, at: number): void {
  if (d.mode === 'rollback') return finishRollback(ctx, d, at, 'ROLLBACK_SUCCESSFUL');
  const { ns, n, svc } = serviceOfDeployment(ctx, d);
  setStatus(d, 'SUCCESSFUL', at);
  d.finishedAt = at;
  d.updatedAt = at;
  d.phase = { kind: 'done' };
  d.currentHookIds = [];
  if (d.circuitBreaker.status === 'MONITORING') d.circuitBreaker.status = 'MONITORING_COMPLETE';
  if (d.alarms.status === 'MONITORING') d.alarms.status = 'MONITORING_COMPLETE';
  n.currentRevisionArn = d.targetRevisionArn;
  svc.taskDefinition = ns.revisions.get(d.targetRevisionArn)!.taskDefinition;
  // the green target group now serves production; the next deployment comes up on the other one
  const target = ns.revisions.get(d.targetRevisionArn)!;
  if (d.greenTargetGroupArn && target.loadBalancers[0])
    target.loadBalancers = [{ ...target.loadBalancers[0], targetGroupArn: d.greenTargetGroupArn }];
  addEvent(n, at, `(deployment ${d.ecsId}) deployment completed.`);
  addEvent(n, at, 'has reached a steady state.');
}

function finishRollback(
  ctx: NativeContext,
  d: NativeDeployment,
  at: number,
  status: 'ROLLBACK_SUCCESSFUL' | 'ROLLBACK_FAILED',
  reason?: string,
): void {
  const { ns, n, svc } = serviceOfDeployment(ctx, d);
  setStatus(d, status, at);
  if (reason) d.statusReason = reason;
  d.finishedAt = at;
  d.updatedAt = at;
  d.phase = { kind: 'done' };
  d.currentHookIds = [];
  if (status === 'ROLLBACK_SUCCESSFUL') {
    const src = d.sourceRevisionArns[0];
    if (src) {
      n.currentRevisionArn = src;
      svc.taskDefinition = ns.revisions.get(src)!.taskDefinition;
    }
    addEvent(n, at, `(deployment ${d.ecsId}) deployment rolled back.`);
  }
}

function stopDeployment(ctx: NativeContext, d: NativeDeployment, at: number, reason: string): void {
  const { n } = serviceOfDeployment(ctx, d);
  for (const h of d.hooks) if (h.finishedAt === undefined) resolveHook(d, h, at, 'FAILED', false);
  setStatus(d, 'STOPPED', at);
  d.statusReason = reason;
  d.stoppedAt = at;
  d.finishedAt = at;
  d.updatedAt = at;
  d.phase = { kind: 'done' };
  d.currentHookIds = [];
  addEvent(n, at, `(deployment ${d.ecsId}) deployment stopped: ${reason}`);
}

/** Roll back within the same service deployment (its status becomes ROLLBACK_*). */
export function startRollback(
  ctx: NativeContext,
  d: NativeDeployment,
  at: number,
  reason: string,
  requested: boolean,
): void {
  for (const h of d.hooks) if (h.finishedAt === undefined) resolveHook(d, h, at, 'FAILED', false);
  d.currentHookIds = [];
  const source = d.sourceRevisionArns[0];
  if (!source) return stopDeployment(ctx, d, at, `${reason} (no earlier revision to roll back to)`);
  d.rollback = {
    reason,
    startedAt: at,
    serviceRevisionArn: source,
    ...(d.lifecycleStage ? { stage: d.lifecycleStage } : {}),
  };
  d.statusReason = reason;
  d.updatedAt = at;
  d.mode = 'rollback';
  const plan: Step[] = [];
  if (d.weights.production > 0)
    plan.push({ stage: 'PRODUCTION_TRAFFIC_SHIFT', work: { kind: 'rbProd' }, hooks: true });
  if (d.weights.test > 0) plan.push({ stage: 'TEST_TRAFFIC_SHIFT', work: { kind: 'rbTest' }, hooks: true });
  plan.push({ stage: 'CLEAN_UP', work: { kind: 'rbScaleDown' }, hooks: false });
  d.plan = plan;
  d.index = 0;
  if (requested) {
    setStatus(d, 'ROLLBACK_REQUESTED', at);
    const { n } = serviceOfDeployment(ctx, d);
    d.phase = { kind: 'request', until: at + n.timing.requestMs, then: 'rollback' };
    return;
  }
  setStatus(d, 'ROLLBACK_IN_PROGRESS', at);
  enterStep(ctx, d, 0, at);
}

export function advanceDeployment(ctx: NativeContext, d: NativeDeployment, now: number): void {
  const ns = nativeState(ctx.state);
  for (let guard = 0; guard < 10_000; guard++) {
    const p = d.phase;
    switch (p.kind) {
      case 'done':
        return;
      case 'pending': {
        // one deployment at a time per service: a later one waits for the earlier to end ([U])
        const mine = deploymentsOf(ns, d.serviceKey);
        if (mine.slice(0, mine.indexOf(d)).some((o) => !isTerminal(o.status))) return;
        const { n } = serviceOfDeployment(ctx, d);
        const prevEnd = [...ns.deployments.values()]
          .filter((o) => o !== d && o.serviceKey === d.serviceKey)
          .reduce((m, o) => Math.max(m, o.finishedAt ?? 0), 0);
        const at = Math.max(d.createdAt + n.timing.startDelayMs, prevEnd);
        if (now < at) return;
        begin(ctx, d, at);
        continue;
      }
      case 'request': {
        if (now < p.until) return;
        if (p.then === 'stop') {
          stopDeployment(ctx, d, p.until, d.statusReason ?? 'Stopped by StopServiceDeployment (ABORT).');
          return;
        }
        setStatus(d, 'ROLLBACK_IN_PROGRESS', p.until);
        enterStep(ctx, d, 0, p.until);
        continue;
      }
      case 'work': {
        if (now < p.endsAt) return;
        if (alarmCheck(ctx, d, p.endsAt)) continue;
        finishWork(ctx, d, p.endsAt);
        continue;
      }
      case 'hooks': {
        if (advanceHooks(ctx, d, now)) return;
        continue;
      }
      case 'stepBake': {
        if (now < p.endsAt) return;
        if (alarmCheck(ctx, d, p.endsAt)) continue;
        enterStep(ctx, d, d.index + 1, p.endsAt);
        continue;
      }
    }
  }
}

export function advanceNative(state: EmulatorState, now: number): void {
  const ctx = { state };
  for (const d of nativeState(state).deployments.values()) advanceDeployment(ctx, d, now);
}

// ───────────────────────────── creating deployments ─────────────────────────────

function newRevision(
  state: EmulatorState,
  ns: NativeState,
  svc: Service,
  n: NativeService,
  taskDefinition: string,
  at: number,
): NativeRevision {
  const rev: NativeRevision = {
    arn: revisionArn(state, svc),
    serviceKey: n.key,
    taskDefinition,
    createdAt: at,
    loadBalancers: n.loadBalancers.map((lb) => ({ ...lb })),
    launchType: svc.launchType,
    platformVersion: svc.platformVersion,
    networkConfiguration: svc.networkConfiguration,
  };
  ns.revisions.set(rev.arn, rev);
  return rev;
}

function createDeployment(
  state: EmulatorState,
  ns: NativeState,
  svc: Service,
  n: NativeService,
  rev: NativeRevision,
  at: number,
): NativeDeployment {
  const ecsId = ecsSvcId();
  n.ecsIds[rev.arn] = ecsId;
  const active = new Set(
    [...ns.tasks.values()]
      .filter((t) => t.serviceKey === n.key && t.lastStatus !== 'STOPPED')
      .map((t) => t.revisionArn),
  );
  active.add(n.currentRevisionArn);
  active.delete(rev.arn);
  const sources = [n.currentRevisionArn, ...[...active].filter((a) => a !== n.currentRevisionArn)];
  const d: NativeDeployment = {
    arn: deploymentArn(state, svc),
    ecsId,
    serviceKey: n.key,
    status: 'PENDING',
    createdAt: at,
    updatedAt: at,
    sourceRevisionArns: sources,
    targetRevisionArn: rev.arn,
    requested: { target: 0, source: svc.desiredCount },
    weights: { production: 0, test: 0 },
    config: structuredClone(n.config),
    hooks: [],
    currentHookIds: [],
    circuitBreaker: {
      status: 'DISABLED',
      failureCount: 0,
      threshold: threshold(n.config, svc.desiredCount),
    },
    alarms: { status: 'DISABLED', alarmNames: [...n.config.alarms.alarmNames], triggeredAlarmNames: [] },
    plan: planFor(n.config, sources.length > 1),
    index: 0,
    mode: 'deploy',
    phase: { kind: 'pending' },
    statusHistory: [{ status: 'PENDING', at }],
    history: [],
    weightHistory: [],
  };
  ns.deployments.set(d.arn, d);
  return d;
}

// ───────────────────────────── wire shapes ─────────────────────────────

function revisionSummary(ns: NativeState, d: NativeDeployment, arn: string, target: boolean) {
  const c = counts(ns, arn);
  const rolling = d.config.strategy === 'ROLLING';
  return {
    arn,
    requestedTaskCount: target ? d.requested.target : d.requested.source,
    runningTaskCount: c.running,
    pendingTaskCount: c.pending,
    ...(rolling
      ? {}
      : {
          requestedTestTrafficWeight: target ? d.weights.test : 100 - d.weights.test,
          requestedProductionTrafficWeight: target ? d.weights.production : 100 - d.weights.production,
        }),
  };
}

export function deploymentWire(state: EmulatorState, d: NativeDeployment): Record<string, unknown> {
  const ns = nativeState(state);
  const [cluster, service] = d.serviceKey.split('/') as [string, string];
  const current = d.hooks.filter((h) => d.currentHookIds.includes(h.hookId));
  return {
    serviceDeploymentArn: d.arn,
    serviceArn: serviceArn(state, cluster, service),
    clusterArn: clusterArn(state, cluster),
    createdAt: epochSeconds(d.createdAt),
    updatedAt: epochSeconds(d.updatedAt),
    ...(d.startedAt !== undefined ? { startedAt: epochSeconds(d.startedAt) } : {}),
    ...(d.finishedAt !== undefined ? { finishedAt: epochSeconds(d.finishedAt) } : {}),
    ...(d.stoppedAt !== undefined ? { stoppedAt: epochSeconds(d.stoppedAt) } : {}),
    sourceServiceRevisions: d.sourceRevisionArns.map((a) => revisionSummary(ns, d, a, false)),
    targetServiceRevision: revisionSummary(ns, d, d.targetRevisionArn, true),
    status: d.status,
    ...(d.statusReason ? { statusReason: d.statusReason } : {}),
    ...(d.lifecycleStage && d.config.strategy !== 'ROLLING' ? { lifecycleStage: d.lifecycleStage } : {}),
    ...(current.length
      ? {
          lifecycleHookDetails: current.map((h) => ({
            hookId: h.hookId,
            targetType: h.targetType,
            ...(h.targetArn ? { targetArn: h.targetArn } : {}),
            status: h.status,
            ...(h.expiresAt !== undefined ? { expiresAt: epochSeconds(h.expiresAt) } : {}),
            timeoutAction: h.timeoutAction,
          })),
        }
      : {}),
    deploymentConfiguration: configWire(d.config),
    ...(d.rollback
      ? {
          rollback: {
            reason: d.rollback.reason,
            startedAt: epochSeconds(d.rollback.startedAt),
            serviceRevisionArn: d.rollback.serviceRevisionArn,
          },
        }
      : {}),
    deploymentCircuitBreaker: d.circuitBreaker,
    alarms: d.alarms,
  };
}

function briefWire(state: EmulatorState, d: NativeDeployment): Record<string, unknown> {
  const w = deploymentWire(state, d);
  return {
    serviceDeploymentArn: d.arn,
    serviceArn: w.serviceArn,
    clusterArn: w.clusterArn,
    createdAt: w.createdAt,
    ...(w.startedAt !== undefined ? { startedAt: w.startedAt } : {}),
    ...(w.finishedAt !== undefined ? { finishedAt: w.finishedAt } : {}),
    targetServiceRevisionArn: d.targetRevisionArn,
    status: d.status,
    ...(d.statusReason ? { statusReason: d.statusReason } : {}),
  };
}

function revisionWire(state: EmulatorState, r: NativeRevision): Record<string, unknown> {
  const [cluster, service] = r.serviceKey.split('/') as [string, string];
  const td = findTaskDefinition(state, r.taskDefinition);
  const containers = (td?.body.containerDefinitions ?? []) as { name?: string; image?: string }[];
  return {
    serviceRevisionArn: r.arn,
    serviceArn: serviceArn(state, cluster, service),
    clusterArn: clusterArn(state, cluster),
    taskDefinition: r.taskDefinition,
    launchType: r.launchType,
    platformVersion: r.platformVersion,
    platformFamily: 'Linux',
    loadBalancers: r.loadBalancers,
    serviceRegistries: [],
    networkConfiguration: r.networkConfiguration,
    containerImages: containers.map((c) => ({ containerName: c.name, image: c.image })),
    guardDutyEnabled: false,
    createdAt: epochSeconds(r.createdAt),
    resolvedConfiguration: {
      loadBalancers: r.loadBalancers
        .filter((lb) => lb.targetGroupArn)
        .map((lb) => ({
          targetGroupArn: lb.targetGroupArn,
          ...(lb.advancedConfiguration?.productionListenerRule
            ? { productionListenerRule: lb.advancedConfiguration.productionListenerRule }
            : {}),
        })),
    },
  };
}

function deploymentsOf(ns: NativeState, key: string): NativeDeployment[] {
  return [...ns.deployments.values()].filter((d) => d.serviceKey === key);
}

/** The fields DescribeServices/UpdateService show for an ECS-controller service with native state. */
function decorate(
  state: EmulatorState,
  wire: Record<string, unknown>,
  svc: Service,
  now: number,
): Record<string, unknown> {
  const ns = nativeState(state);
  const n = ns.services.get(keyOf(svc));
  if (!n || svc.deploymentController !== 'ECS') return wire;
  const all = deploymentsOf(ns, n.key);
  // the switch: a new deployment stays invisible here for staleCurrentDeploymentMs ([U], kayac/ecspresso#945)
  const visible = all.filter((d) => now - d.createdAt >= n.staleCurrentDeploymentMs || d === all[0]);
  const latest = visible[visible.length - 1];
  const entry = (revArn: string, status: string, rolloutState: string, d: NativeDeployment | undefined) => {
    const rev = ns.revisions.get(revArn);
    const c = counts(ns, revArn);
    const failed = d && d.targetRevisionArn === revArn ? d.circuitBreaker.failureCount : 0;
    return {
      id: n.ecsIds[revArn] ?? revArn,
      status,
      taskDefinition: rev?.taskDefinition,
      desiredCount: status === 'PRIMARY' ? svc.desiredCount : c.running + c.pending,
      pendingCount: c.pending,
      runningCount: c.running,
      failedTasks: failed,
      createdAt: epochSeconds(rev?.createdAt ?? 0),
      updatedAt: epochSeconds(d?.updatedAt ?? rev?.createdAt ?? 0),
      launchType: svc.launchType,
      platformVersion: svc.platformVersion,
      networkConfiguration: svc.networkConfiguration,
      rolloutState,
      ...(rolloutState === 'FAILED' && d?.statusReason ? { rolloutStateReason: d.statusReason } : {}),
    };
  };
  let deployments: Record<string, unknown>[];
  if (!latest) deployments = [entry(n.currentRevisionArn, 'PRIMARY', 'COMPLETED', undefined)];
  else if (latest.status === 'SUCCESSFUL')
    deployments = [entry(latest.targetRevisionArn, 'PRIMARY', 'COMPLETED', latest)];
  else if (latest.status === 'ROLLBACK_SUCCESSFUL')
    deployments = [
      entry(latest.sourceRevisionArns[0] ?? n.currentRevisionArn, 'PRIMARY', 'COMPLETED', latest),
    ];
  else {
    const state_ =
      latest.status === 'STOPPED' || latest.status === 'ROLLBACK_FAILED' ? 'FAILED' : 'IN_PROGRESS';
    deployments = [
      entry(latest.targetRevisionArn, 'PRIMARY', state_, latest),
      ...latest.sourceRevisionArns.map((a) => entry(a, 'ACTIVE', 'COMPLETED', latest)),
    ];
  }
  const active = new Set(
    [...ns.tasks.values()]
      .filter((t) => t.serviceKey === n.key && t.lastStatus !== 'STOPPED')
      .map((t) => t.revisionArn),
  );
  if (!active.size) active.add(n.currentRevisionArn);
  let running = 0;
  let pending = 0;
  for (const a of active) {
    const c = counts(ns, a);
    running += c.running;
    pending += c.pending;
  }
  const lbWire = n.loadBalancers;
  return {
    ...wire,
    loadBalancers: lbWire,
    runningCount: running,
    pendingCount: pending,
    taskSets: [],
    deployments,
    deploymentConfiguration: configWire(n.config),
    deploymentController: { type: 'ECS' },
    ...(latest ? { currentServiceDeployment: latest.arn } : {}),
    currentServiceRevisions: [...active].map((a) => {
      const c = counts(ns, a);
      return {
        arn: a,
        requestedTaskCount: c.running + c.pending,
        runningTaskCount: c.running,
        pendingTaskCount: c.pending,
      };
    }),
    events: n.events.map((e) => ({ id: e.id, createdAt: epochSeconds(e.createdAt), message: e.message })),
  };
}

function taskWire(state: EmulatorState, t: NativeTask): Record<string, unknown> {
  const [cluster, service] = t.serviceKey.split('/') as [string, string];
  return {
    taskArn: t.taskArn,
    clusterArn: clusterArn(state, cluster),
    taskDefinitionArn: t.taskDefinitionArn,
    group: `service:${service}`,
    startedBy: t.startedBy,
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    launchType: 'FARGATE',
    platformVersion: '1.4.0',
    platformFamily: 'Linux',
    connectivity: t.lastStatus === 'PENDING' ? 'CONNECTING' : 'CONNECTED',
    cpu: '256',
    memory: '512',
    createdAt: epochSeconds(t.createdAt),
    ...(t.startedAt !== undefined ? { startedAt: epochSeconds(t.startedAt) } : {}),
    ...(t.stoppedAt !== undefined
      ? {
          stoppingAt: epochSeconds(t.stoppedAt),
          stoppedAt: epochSeconds(t.stoppedAt),
          executionStoppedAt: epochSeconds(t.stoppedAt),
        }
      : {}),
    ...(t.stoppedReason ? { stoppedReason: t.stoppedReason } : {}),
    ...(t.stopCode ? { stopCode: t.stopCode } : {}),
    containers: t.containers.map((c) => ({
      containerArn: `arn:aws:ecs:${state.region}:${state.accountId}:container/${cluster}/${t.taskArn.split('/').pop()}/${c.name}`,
      taskArn: t.taskArn,
      name: c.name,
      image: c.image,
      lastStatus: t.lastStatus,
      ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
      ...(c.reason ? { reason: c.reason } : {}),
    })),
    healthStatus: 'UNKNOWN',
    version: 1,
    tags: [],
  };
}

// ───────────────────────────── the controller switch ─────────────────────────────

/** Give an ECS-controller service native state: a revision for what it runs and its running tasks. */
function adopt(state: EmulatorState, svc: Service, at: number): NativeService {
  const ns = nativeState(state);
  const existing = ns.services.get(keyOf(svc));
  if (existing) return existing;
  const primary = svc.taskSets.find((t) => t.status === 'PRIMARY');
  const n: NativeService = {
    key: keyOf(svc),
    cluster: svc.clusterName,
    service: svc.serviceName,
    config: defaultConfig(),
    loadBalancers: svc.loadBalancers.map((lb) => ({ ...lb })),
    currentRevisionArn: '',
    ecsIds: {},
    events: [],
    hookOutcomes: {},
    alarmsInAlarm: [],
    staleCurrentDeploymentMs: 0,
    listLagMs: 0,
    timing: { ...DEFAULT_NATIVE_TIMING },
  };
  ns.services.set(n.key, n);
  const rev = newRevision(state, ns, svc, n, primary?.taskDefinition ?? svc.taskDefinition, at);
  if (primary)
    rev.loadBalancers = [
      {
        targetGroupArn: primary.targetGroupArn,
        containerName: primary.containerName,
        containerPort: primary.containerPort,
      },
    ];
  n.currentRevisionArn = rev.arn;
  n.ecsIds[rev.arn] = primary?.id ?? ecsSvcId();
  launchTasks(state, ns, n, rev, primary?.runningCount ?? svc.desiredCount, at, n.ecsIds[rev.arn]!, true);
  svc.taskSets = [];
  return n;
}

function switchController(state: EmulatorState, svc: Service, to: string, at: number): void {
  if (to === svc.deploymentController) return;
  if (!['ECS', 'CODE_DEPLOY', 'EXTERNAL'].includes(to))
    throw invalid(`deploymentController.type must be ECS, CODE_DEPLOY or EXTERNAL; got ${to}.`);
  if (to === 'CODE_DEPLOY')
    throw invalid(
      'Updating the deployment controller to CODE_DEPLOY is not supported. Create a new service instead.',
    );
  if (to !== 'ECS' || svc.deploymentController !== 'CODE_DEPLOY')
    throw new ApiError(
      'UnsupportedFeatureException',
      `The emulator models only the CODE_DEPLOY → ECS controller switch (asked: ${svc.deploymentController} → ${to}).`,
    );
  if (svc.taskSets.length > 1)
    throw invalid(
      'Updating the deployment controller is not supported when there are multiple tasksets in the service.',
    );
  if (!svc.taskSets.some((t) => t.status === 'PRIMARY'))
    throw invalid('Updating the deployment controller requires a primary taskset in the service.');
  const busy = [...state.deployments.values()].some((d) => {
    if (!isActive(d)) return false;
    const g = state.deploymentGroups.get(`${d.applicationName}/${d.deploymentGroupName}`);
    return g?.ecsService.clusterName === svc.clusterName && g.ecsService.serviceName === svc.serviceName;
  });
  if (busy)
    throw invalid('Updating the deployment controller is not supported while a deployment is in progress.');
  adopt(state, svc, at);
  svc.deploymentController = 'ECS';
}

// ───────────────────────────── handlers ─────────────────────────────

const UPDATE_MEMBERS = [
  'cluster',
  'service',
  'desiredCount',
  'taskDefinition',
  'capacityProviderStrategy',
  'deploymentConfiguration',
  'availabilityZoneRebalancing',
  'networkConfiguration',
  'placementConstraints',
  'placementStrategy',
  'platformVersion',
  'forceNewDeployment',
  'healthCheckGracePeriodSeconds',
  'deploymentController',
  'enableExecuteCommand',
  'enableECSManagedTags',
  'loadBalancers',
  'propagateTags',
  'serviceRegistries',
  'serviceConnectConfiguration',
  'volumeConfigurations',
  'vpcLatticeConfigurations',
  'gatewayConnectors',
  'monitoring',
];

function arnList(input: Record<string, unknown>, key: string): string[] {
  const v = input[key];
  if (!Array.isArray(v) || v.length === 0) throw invalid(`${key} must list at least one ARN.`);
  if (v.length > 20) throw invalid(`${key} can list at most 20 ARNs.`);
  return v.map(String);
}

function time(v: unknown): number | undefined {
  if (typeof v === 'number') return v * 1000;
  if (typeof v === 'string' && v !== '') return Date.parse(v);
  return undefined;
}

/**
 * ECS handlers for native deployments, layered over the base ECS handlers (`base`): DescribeServices,
 * ListTasks and DescribeTasks decorate or fall back to the base ones for services without native state.
 */
export function ecsNativeHandlers(
  state: EmulatorState,
  base: Record<string, JsonHandler>,
): Record<string, JsonHandler> {
  const ctx: NativeContext = { state };
  const ns = nativeState(state);
  const find = (arn: string) => {
    const d = ns.deployments.get(arn);
    if (!d)
      throw new ApiError(
        'ServiceDeploymentNotFoundException',
        `The service deployment ${arn} does not exist.`,
      );
    return d;
  };
  return {
    UpdateService: (input, rctx) => {
      for (const key of Object.keys(input))
        if (!UPDATE_MEMBERS.includes(key))
          throw new ApiError(
            'ClientException',
            `Unknown parameter in input: "${key}", must be one of: ${UPDATE_MEMBERS.join(', ')}`,
          );
      const svc = serviceOf(state, input.cluster, input.service);
      const at = rctx.now;
      const controller = (input.deploymentController as { type?: unknown } | undefined)?.type;
      // validate everything before changing anything
      const probe = mergeConfig(
        ns.services.get(keyOf(svc))?.config ?? defaultConfig(),
        input.deploymentConfiguration,
      );
      const lbs = input.loadBalancers !== undefined ? parseLoadBalancers(input.loadBalancers) : undefined;
      let td: string | undefined;
      if (input.taskDefinition !== undefined) {
        const found = findTaskDefinition(state, String(input.taskDefinition));
        if (!found) throw new ApiError('ClientException', 'TaskDefinition not found.');
        if (found.status !== 'ACTIVE') throw new ApiError('ClientException', 'TaskDefinition is inactive.');
        td = found.taskDefinitionArn;
      }
      if (
        input.desiredCount !== undefined &&
        (typeof input.desiredCount !== 'number' || input.desiredCount < 0)
      )
        throw invalid('desiredCount must be a number of at least 0.');
      if (svc.deploymentController === 'CODE_DEPLOY' && controller !== 'ECS') {
        if (controller !== undefined && controller !== 'CODE_DEPLOY')
          switchController(state, svc, String(controller), at);
        if (
          td !== undefined ||
          input.forceNewDeployment === true ||
          input.deploymentConfiguration !== undefined
        )
          throw invalid(
            'Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.',
          );
        if (typeof input.desiredCount === 'number') svc.desiredCount = input.desiredCount;
        return { service: serviceWire(state, svc) };
      }
      if (controller !== undefined) switchController(state, svc, String(controller), at);
      if (svc.deploymentController !== 'ECS')
        throw new ApiError(
          'UnsupportedFeatureException',
          `The emulator does not model ${svc.deploymentController} services.`,
        );
      const n = adopt(state, svc, at);
      n.config = probe;
      if (lbs) {
        n.loadBalancers = lbs;
        svc.loadBalancers = lbs
          .filter((lb) => lb.targetGroupArn && lb.containerName && lb.containerPort !== undefined)
          .map((lb) => ({
            targetGroupArn: lb.targetGroupArn!,
            containerName: lb.containerName!,
            containerPort: lb.containerPort!,
          }));
      }
      if (typeof input.desiredCount === 'number') svc.desiredCount = input.desiredCount;
      const current = ns.revisions.get(n.currentRevisionArn);
      if ((td !== undefined && td !== current?.taskDefinition) || input.forceNewDeployment === true) {
        const rev = newRevision(state, ns, svc, n, td ?? current?.taskDefinition ?? svc.taskDefinition, at);
        // the revision keeps the target group the current one serves on; the deployment brings green up on the other
        if (current?.loadBalancers[0]?.targetGroupArn && rev.loadBalancers[0])
          rev.loadBalancers[0] = {
            ...rev.loadBalancers[0],
            targetGroupArn: current.loadBalancers[0].targetGroupArn,
          };
        createDeployment(state, ns, svc, n, rev, at);
        svc.taskDefinition = rev.taskDefinition;
      }
      return { service: decorate(state, serviceWire(state, svc), svc, at) };
    },
    DescribeServices: (input, rctx) => {
      const out = base.DescribeServices!(input, rctx) as {
        services: Record<string, unknown>[];
        failures: unknown[];
      };
      return {
        ...out,
        services: out.services.map((w) => {
          const [cluster, name] = String(w.serviceArn).split('/').slice(-2) as [string, string];
          const svc = state.services.get(`${cluster}/${name}`);
          return svc ? decorate(state, w, svc, rctx.now) : w;
        }),
      };
    },
    ListServiceDeployments: (input, rctx) => {
      const svc = serviceOf(state, input.cluster, input.service);
      const n = ns.services.get(keyOf(svc));
      const statuses = input.status === undefined ? undefined : (input.status as unknown[]).map(String);
      for (const s of statuses ?? [])
        if (!SERVICE_DEPLOYMENT_STATUSES.includes(s as ServiceDeploymentStatus))
          throw invalid(`status: ${s} is not a service deployment status.`);
      const created = (input.createdAt ?? {}) as Record<string, unknown>;
      const after = time(created.after);
      const before = time(created.before);
      const max = input.maxResults === undefined ? 20 : Number(input.maxResults);
      if (!Number.isInteger(max) || max < 1 || max > 100)
        throw invalid('maxResults must be between 1 and 100.');
      const lag = n?.listLagMs ?? 0;
      const list = deploymentsOf(ns, keyOf(svc))
        .filter((d) => rctx.now - d.createdAt >= lag)
        .filter((d) => !statuses || statuses.includes(d.status))
        .filter((d) => after === undefined || d.createdAt >= after)
        .filter((d) => before === undefined || d.createdAt <= before)
        .reverse(); // newest first ([U]: the order is undocumented)
      const start =
        typeof input.nextToken === 'string' ? Number(Buffer.from(input.nextToken, 'base64').toString()) : 0;
      if (!Number.isInteger(start) || start < 0) throw invalid('Invalid nextToken.');
      const page = list.slice(start, start + max);
      return {
        serviceDeployments: page.map((d) => briefWire(state, d)),
        ...(start + max < list.length
          ? { nextToken: Buffer.from(String(start + max)).toString('base64') }
          : {}),
      };
    },
    DescribeServiceDeployments: (input) => {
      const arns = arnList(input, 'serviceDeploymentArns');
      const serviceDeployments: Record<string, unknown>[] = [];
      const failures: Record<string, unknown>[] = [];
      for (const arn of arns) {
        const d = ns.deployments.get(arn);
        if (d) serviceDeployments.push(deploymentWire(state, d));
        else failures.push({ arn, reason: 'MISSING' });
      }
      return { serviceDeployments, failures };
    },
    DescribeServiceRevisions: (input) => {
      const arns = arnList(input, 'serviceRevisionArns');
      const serviceRevisions: Record<string, unknown>[] = [];
      const failures: Record<string, unknown>[] = [];
      for (const arn of arns) {
        const r = ns.revisions.get(arn);
        if (r) serviceRevisions.push(revisionWire(state, r));
        else failures.push({ arn, reason: 'MISSING' });
      }
      return { serviceRevisions, failures };
    },
    StopServiceDeployment: (input, rctx) => {
      if (typeof input.serviceDeploymentArn !== 'string') throw invalid('serviceDeploymentArn is required.');
      const d = find(input.serviceDeploymentArn);
      const stopType = input.stopType ?? 'ROLLBACK';
      if (stopType !== 'ROLLBACK' && stopType !== 'ABORT')
        throw invalid(`stopType must be ROLLBACK or ABORT; got ${String(stopType)}.`);
      advanceDeployment(ctx, d, rctx.now);
      if (isTerminal(d.status))
        throw new ApiError(
          'ConflictException',
          `The service deployment ${d.arn} is ${d.status} and cannot be stopped.`,
        );
      if (
        d.status === 'ROLLBACK_REQUESTED' ||
        d.status === 'ROLLBACK_IN_PROGRESS' ||
        d.status === 'STOP_REQUESTED'
      )
        return { serviceDeploymentArn: d.arn }; // continues what is under way (DG stop-service-deployment)
      if (stopType === 'ABORT') {
        // [U]: the docs list only ROLLBACK; modelled as a stop that leaves both revisions as they are
        for (const h of d.hooks) if (h.finishedAt === undefined) resolveHook(d, h, rctx.now, 'FAILED', false);
        d.currentHookIds = [];
        setStatus(d, 'STOP_REQUESTED', rctx.now);
        d.statusReason = 'Stopped by StopServiceDeployment (ABORT).';
        d.phase = {
          kind: 'request',
          until: rctx.now + (ns.services.get(d.serviceKey)?.timing.requestMs ?? 1000),
          then: 'stop',
        };
        return { serviceDeploymentArn: d.arn };
      }
      startRollback(ctx, d, rctx.now, 'Rollback requested by StopServiceDeployment.', true);
      return { serviceDeploymentArn: d.arn };
    },
    ContinueServiceDeployment: (input, rctx) => {
      if (typeof input.serviceDeploymentArn !== 'string') throw invalid('serviceDeploymentArn is required.');
      if (typeof input.hookId !== 'string' || input.hookId === '') throw invalid('hookId is required.');
      const action = input.action ?? 'CONTINUE';
      if (action !== 'CONTINUE' && action !== 'ROLLBACK')
        throw invalid(`action must be CONTINUE or ROLLBACK; got ${String(action)}.`);
      const d = find(input.serviceDeploymentArn);
      advanceDeployment(ctx, d, rctx.now);
      const h = d.hooks.find((x) => x.hookId === input.hookId);
      if (!h) throw invalid(`The lifecycle hook ${input.hookId} does not exist in ${d.arn}.`);
      if (d.status !== 'IN_PROGRESS')
        throw invalid(`The service deployment is ${d.status}; it must be IN_PROGRESS.`);
      if (h.status !== 'AWAITING_ACTION')
        throw invalid(`The lifecycle hook ${h.hookId} is ${h.status}; it must be AWAITING_ACTION.`);
      if (action === 'CONTINUE') resolveHook(d, h, rctx.now, 'SUCCEEDED', true);
      else {
        resolveHook(d, h, rctx.now, 'FAILED', false);
        h.message = `Rollback requested through ContinueServiceDeployment for the pause hook at ${h.stage}.`;
      }
      advanceDeployment(ctx, d, rctx.now);
      return { serviceDeploymentArn: d.arn };
    },
    ListTasks: (input, rctx) => {
      const cluster = clusterOf(state, input.cluster);
      const name =
        typeof input.serviceName === 'string' ? (input.serviceName.split('/').pop() ?? '') : undefined;
      const n = name !== undefined ? ns.services.get(`${cluster}/${name}`) : undefined;
      if (name !== undefined && !n) {
        if (base.ListTasks) return base.ListTasks(input, rctx);
        if (!state.services.has(`${cluster}/${name}`))
          throw new ApiError('ServiceNotFoundException', 'Service not found.');
        return { taskArns: [] };
      }
      const desired = input.desiredStatus ?? 'RUNNING';
      const arns = [...ns.tasks.values()]
        .filter((t) => t.serviceKey.startsWith(`${cluster}/`) && (!n || t.serviceKey === n.key))
        .filter((t) => t.desiredStatus === desired)
        .filter((t) => typeof input.startedBy !== 'string' || t.startedBy === input.startedBy)
        .map((t) => t.taskArn);
      if (!n && base.ListTasks) {
        const more = base.ListTasks(input, rctx) as { taskArns?: string[] };
        return { taskArns: [...arns, ...(more.taskArns ?? [])] };
      }
      return { taskArns: arns };
    },
    DescribeTasks: (input, rctx) => {
      const cluster = clusterOf(state, input.cluster);
      const refs = Array.isArray(input.tasks) ? input.tasks.map(String) : [];
      if (!refs.length) throw invalid('Tasks cannot be empty.');
      if (refs.length > 100) throw invalid('The tasks list can contain at most 100 tasks.');
      const tasks: Record<string, unknown>[] = [];
      const rest: string[] = [];
      for (const ref of refs) {
        const t =
          ns.tasks.get(ref) ?? [...ns.tasks.values()].find((x) => x.taskArn.endsWith(`/${cluster}/${ref}`));
        if (t) tasks.push(taskWire(state, t));
        else rest.push(ref);
      }
      let failures: unknown[] = rest.map((arn) => ({ arn, reason: 'MISSING' }));
      if (rest.length && base.DescribeTasks) {
        const more = base.DescribeTasks({ ...input, tasks: rest }, rctx) as {
          tasks?: Record<string, unknown>[];
          failures?: unknown[];
        };
        tasks.push(...(more.tasks ?? []));
        failures = more.failures ?? [];
      }
      return { tasks, failures };
    },
  };
}

// ───────────────────────────── seeding and control ─────────────────────────────

export type Misconfiguration =
  'missing-advanced-configuration' | 'missing-role' | 'target-groups-not-on-rules';

export interface NativeServiceOptions {
  cluster?: string;
  service?: string;
  family?: string;
  containerName?: string;
  containerPort?: number;
  desiredCount?: number;
  strategy?: NativeStrategy;
  bakeTimeInMinutes?: number;
  linearConfiguration?: { stepPercent?: number; stepBakeTimeInMinutes?: number };
  canaryConfiguration?: { canaryPercent?: number; canaryBakeTimeInMinutes?: number };
  /** as the API takes them; Lambda functions named by hookTargetArn are seeded to succeed unless seeded already */
  lifecycleHooks?: {
    targetType?: 'AWS_LAMBDA' | 'PAUSE';
    hookTargetArn?: string;
    roleArn?: string;
    lifecycleStages: LifecycleStage[];
    hookDetails?: unknown;
    timeoutConfiguration?: { timeoutInMinutes?: number; action?: 'ROLLBACK' | 'CONTINUE' };
  }[];
  deploymentCircuitBreaker?: {
    enable: boolean;
    rollback: boolean;
    thresholdConfiguration?: { type?: string; value?: number };
  };
  alarms?: { alarmNames: string[]; enable: boolean; rollback: boolean };
  withTestListenerRule?: boolean;
  /** a setup that UpdateService accepts but that fails while the deployment runs */
  misconfiguration?: Misconfiguration;
  hookOutcomes?: Partial<Record<LifecycleStage, HookOutcome>>;
  failTasks?: FailTasks;
  staleCurrentDeploymentMs?: number;
  listLagMs?: number;
  timing?: Partial<NativeTiming>;
}

export interface SeededNativeService {
  cluster: string;
  clusterArn: string;
  service: string;
  serviceArn: string;
  family: string;
  taskDefinitionArn: string;
  containerName: string;
  containerPort: number;
  strategy: NativeStrategy;
  loadBalancerArn: string;
  loadBalancerDnsName: string;
  prodListenerArn: string;
  testListenerArn: string;
  productionListenerRuleArn: string;
  testListenerRuleArn?: string;
  targetGroupArns: [string, string];
  infrastructureRoleArn: string;
  hookRoleArn: string;
  serviceRevisionArn: string;
  /** the SUCCESSFUL deployment that created the service */
  initialDeploymentArn: string;
}

const ECS_TRUST = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

function ensureRole(state: EmulatorState, name: string): string {
  const arn = `arn:aws:iam::${state.accountId}:role/${name}`;
  if (!state.roles.has(arn))
    state.roles.set(arn, { name, arn, roleId: `AROA${randomString(17)}`, trustPolicy: ECS_TRUST });
  return arn;
}

export function listenerRule(state: EmulatorState, listenerArn: string, targetGroupArns: string[]): string {
  const ns = nativeState(state);
  const l = state.listeners.get(listenerArn);
  if (!l) throw new Error(`emulator: no listener ${listenerArn}`);
  const arn = listenerArn.replace(':listener/', ':listener-rule/') + `/${randomHex(16)}`;
  ns.rules.set(arn, {
    arn,
    listenerArn,
    forward: targetGroupArns.map((targetGroupArn, i) => ({ targetGroupArn, weight: i === 0 ? 100 : 0 })),
  });
  return arn;
}

export function seedEcsNativeService(
  state: EmulatorState,
  now: number,
  o: NativeServiceOptions = {},
): SeededNativeService {
  const ns = nativeState(state);
  const strategy = o.strategy ?? 'BLUE_GREEN';
  const cluster = o.cluster ?? 'demo';
  const service = o.service ?? `web-${strategy.toLowerCase().replace('_', '-')}`;
  const family = o.family ?? service;
  const containerName = o.containerName ?? 'web';
  const containerPort = o.containerPort ?? 8080;
  const desiredCount = o.desiredCount ?? 2;
  const acct = state.accountId;
  const region = state.region;
  state.clusters.set(cluster, { clusterName: cluster, clusterArn: clusterArn(state, cluster) });
  const td = registerTaskDefinition(
    state,
    {
      family,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      executionRoleArn: `arn:aws:iam::${acct}:role/ecsTaskExecutionRole`,
      containerDefinitions: [
        {
          name: containerName,
          image: `${acct}.dkr.ecr.${region}.amazonaws.com/${family}:v1`,
          essential: true,
          portMappings: [{ containerPort, protocol: 'tcp' }],
        },
      ],
    },
    now,
    `arn:aws:iam::${acct}:root`,
  );
  const lbName = `${cluster}-${service}`.slice(0, 32);
  const lbId = randomHex(16);
  const loadBalancerArn = `arn:aws:elasticloadbalancing:${region}:${acct}:loadbalancer/app/${lbName}/${lbId}`;
  const dnsName = `${lbName}-${randomDigits(10)}.${region}.elb.amazonaws.com`;
  state.loadBalancers.set(loadBalancerArn, {
    arn: loadBalancerArn,
    name: lbName,
    dnsName,
    createdTime: now,
    vpcId: 'vpc-0emulator',
  });
  const tgNames = [`${service}-blue`.slice(0, 32), `${service}-green`.slice(0, 32)];
  const tgArns = tgNames.map(
    (nm) => `arn:aws:elasticloadbalancing:${region}:${acct}:targetgroup/${nm}/${randomHex(16)}`,
  ) as [string, string];
  tgNames.forEach((name, i) =>
    state.targetGroups.set(tgArns[i]!, { arn: tgArns[i]!, name, port: containerPort }),
  );
  const listener = (port: number) => {
    const arn = `arn:aws:elasticloadbalancing:${region}:${acct}:listener/app/${lbName}/${lbId}/${randomHex(16)}`;
    state.listeners.set(arn, {
      arn,
      loadBalancerArn,
      port,
      protocol: 'HTTP',
      forward: [{ targetGroupArn: tgArns[0], weight: 1 }],
    });
    return arn;
  };
  const prodListenerArn = listener(80);
  const testListenerArn = listener(8080);
  const ruleGroups = o.misconfiguration === 'target-groups-not-on-rules' ? [tgArns[0]] : tgArns;
  const productionListenerRuleArn = listenerRule(state, prodListenerArn, ruleGroups);
  const withTest = o.withTestListenerRule ?? true;
  const testListenerRuleArn = withTest ? listenerRule(state, testListenerArn, ruleGroups) : undefined;
  const infrastructureRoleArn = ensureRole(state, 'ecsInfrastructureRoleForLoadBalancers');
  const hookRoleArn = ensureRole(state, 'ecsLifecycleHookInvokeRole');
  const advanced: AdvancedConfiguration = {
    alternateTargetGroupArn: tgArns[1],
    productionListenerRule: productionListenerRuleArn,
    ...(testListenerRuleArn ? { testListenerRule: testListenerRuleArn } : {}),
    ...(o.misconfiguration === 'missing-role' ? {} : { roleArn: infrastructureRoleArn }),
  };
  const loadBalancers: NativeLoadBalancer[] = [
    {
      targetGroupArn: tgArns[0],
      containerName,
      containerPort,
      ...(o.misconfiguration === 'missing-advanced-configuration' || strategy === 'ROLLING'
        ? {}
        : { advancedConfiguration: advanced }),
    },
  ];
  const networkConfiguration = {
    awsvpcConfiguration: {
      subnets: ['subnet-0emulator0000001', 'subnet-0emulator0000002'],
      securityGroups: ['sg-0emulator0000001'],
      assignPublicIp: 'DISABLED',
    },
  };
  const svcArn = serviceArn(state, cluster, service);
  const svc: Service = {
    clusterName: cluster,
    serviceName: service,
    serviceArn: svcArn,
    status: 'ACTIVE',
    desiredCount,
    taskDefinition: td.taskDefinitionArn,
    launchType: 'FARGATE',
    platformVersion: 'LATEST',
    deploymentController: 'ECS',
    loadBalancers: [{ targetGroupArn: tgArns[0], containerName, containerPort }],
    networkConfiguration,
    createdAt: now - 600_000,
    taskSets: [],
  };
  state.services.set(`${cluster}/${service}`, svc);
  const hooks = (o.lifecycleHooks ?? []).map((h) => ({
    ...h,
    targetType: h.targetType ?? 'AWS_LAMBDA',
    ...(h.targetType === 'PAUSE' ? {} : { roleArn: h.roleArn ?? hookRoleArn }),
  }));
  const config = mergeConfig(defaultConfig(), {
    strategy,
    ...(o.bakeTimeInMinutes !== undefined
      ? { bakeTimeInMinutes: o.bakeTimeInMinutes }
      : strategy === 'ROLLING'
        ? {}
        : { bakeTimeInMinutes: 5 }),
    ...(o.linearConfiguration ? { linearConfiguration: o.linearConfiguration } : {}),
    ...(o.canaryConfiguration ? { canaryConfiguration: o.canaryConfiguration } : {}),
    lifecycleHooks: hooks,
    ...(o.deploymentCircuitBreaker ? { deploymentCircuitBreaker: o.deploymentCircuitBreaker } : {}),
    ...(o.alarms ? { alarms: o.alarms } : {}),
  });
  for (const h of hooks)
    if (h.hookTargetArn) {
      const fn = h.hookTargetArn.split(':').pop() ?? '';
      if (!state.lambdas.has(fn)) state.lambdas.set(fn, 'succeed');
    }
  const n: NativeService = {
    key: `${cluster}/${service}`,
    cluster,
    service,
    config,
    loadBalancers,
    currentRevisionArn: '',
    ecsIds: {},
    events: [],
    hookOutcomes: { ...(o.hookOutcomes ?? {}) },
    ...(o.failTasks ? { failTasks: o.failTasks } : {}),
    alarmsInAlarm: [],
    staleCurrentDeploymentMs: o.staleCurrentDeploymentMs ?? 0,
    listLagMs: o.listLagMs ?? 0,
    timing: { ...DEFAULT_NATIVE_TIMING, ...(o.timing ?? {}) },
  };
  ns.services.set(n.key, n);
  const created = now - 600_000;
  const rev = newRevision(state, ns, svc, n, td.taskDefinitionArn, created);
  n.currentRevisionArn = rev.arn;
  // the deployment that created the service, already SUCCESSFUL (rollbacks need one, DG deployment-failure-detection)
  const initial = createDeployment(state, ns, svc, n, rev, created);
  initial.sourceRevisionArns = [];
  initial.statusHistory.push({ status: 'SUCCESSFUL', at: created + 60_000 });
  initial.status = 'SUCCESSFUL';
  initial.startedAt = created + n.timing.startDelayMs;
  initial.finishedAt = created + 60_000;
  initial.updatedAt = initial.finishedAt;
  initial.requested = { target: desiredCount, source: 0 };
  initial.weights = strategy === 'ROLLING' ? { production: 0, test: 0 } : { production: 100, test: 100 };
  initial.circuitBreaker.status = config.deploymentCircuitBreaker.enable ? 'MONITORING_COMPLETE' : 'DISABLED';
  initial.alarms.status = config.alarms.enable ? 'MONITORING_COMPLETE' : 'DISABLED';
  initial.phase = { kind: 'done' };
  launchTasks(state, ns, n, rev, desiredCount, created + 30_000, initial.ecsId, true);
  addEvent(n, initial.finishedAt, 'has reached a steady state.');
  return {
    cluster,
    clusterArn: clusterArn(state, cluster),
    service,
    serviceArn: svcArn,
    family,
    taskDefinitionArn: td.taskDefinitionArn,
    containerName,
    containerPort,
    strategy,
    loadBalancerArn,
    loadBalancerDnsName: dnsName,
    prodListenerArn,
    testListenerArn,
    productionListenerRuleArn,
    ...(testListenerRuleArn ? { testListenerRuleArn } : {}),
    targetGroupArns: tgArns,
    infrastructureRoleArn,
    hookRoleArn,
    serviceRevisionArn: rev.arn,
    initialDeploymentArn: initial.arn,
  };
}

/** What tests and the demo use to drive the switches and read the emulator-only records. */
export interface EcsNativeControl {
  service(o?: NativeServiceOptions): SeededNativeService;
  /** an ALB listener rule forwarding to these target groups (first weight 100, others 0); returns its ARN */
  listenerRule(listenerArn: string, targetGroupArns: string[]): string;
  setHookOutcome(
    cluster: string,
    service: string,
    stage: LifecycleStage,
    outcome: HookOutcome | undefined,
  ): void;
  failTasks(cluster: string, service: string, spec: FailTasks | undefined): void;
  setAlarm(cluster: string, service: string, alarmName: string, inAlarm: boolean): void;
  setTiming(cluster: string, service: string, timing: Partial<NativeTiming>): void;
  setStaleCurrentDeployment(cluster: string, service: string, ms: number): void;
  deployment(arn: string): NativeDeployment | undefined;
  rule(arn: string): ListenerRule | undefined;
  state(): NativeState;
}

export function ecsNativeControl(state: EmulatorState, now: () => number): EcsNativeControl {
  const ns = nativeState(state);
  const svc = (cluster: string, service: string) => {
    const n = ns.services.get(`${cluster}/${service}`);
    if (!n) throw new Error(`emulator: no ECS-native service ${cluster}/${service}`);
    return n;
  };
  return {
    service: (o) => seedEcsNativeService(state, now(), o),
    listenerRule: (l, tgs) => listenerRule(state, l, tgs),
    setHookOutcome: (c, s, stage, outcome) => {
      const n = svc(c, s);
      if (outcome === undefined) delete n.hookOutcomes[stage];
      else n.hookOutcomes[stage] = outcome;
    },
    failTasks: (c, s, spec) => {
      advanceNative(state, now());
      const n = svc(c, s);
      if (spec) n.failTasks = spec;
      else delete n.failTasks;
    },
    setAlarm: (c, s, alarm, inAlarm) => {
      advanceNative(state, now());
      const n = svc(c, s);
      n.alarmsInAlarm = n.alarmsInAlarm.filter((a) => a !== alarm);
      if (inAlarm) n.alarmsInAlarm.push(alarm);
    },
    setTiming: (c, s, timing) => {
      const n = svc(c, s);
      n.timing = { ...n.timing, ...timing };
    },
    setStaleCurrentDeployment: (c, s, ms) => {
      svc(c, s).staleCurrentDeploymentMs = ms;
    },
    deployment: (arn) => {
      advanceNative(state, now());
      return ns.deployments.get(arn);
    },
    rule: (arn) => ns.rules.get(arn),
    state: () => ns,
  };
}

/** A JSON-able view of the native state for `emu.snapshot()`. */
export function nativeSnapshot(state: EmulatorState): unknown {
  const ns = nativeState(state);
  return {
    deployments: [...ns.deployments.values()].map((d) => deploymentWire(state, d)),
    revisions: [...ns.revisions.values()].map((r) => revisionWire(state, r)),
    services: [...ns.services.values()].map((n) => ({
      key: n.key,
      config: configWire(n.config),
      loadBalancers: n.loadBalancers,
    })),
  };
}
