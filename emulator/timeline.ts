/**
 * The ECS blue/green lifecycle on the virtual clock. Deployments advance lazily: before each request the
 * server calls `advanceAll(now)`, which replays every transition whose (virtual) time has come, each stamped
 * with the time it was due rather than the time it was observed.
 */
import { createHash } from 'node:crypto';
import { parseAppSpec } from './appspec.js';
import type { Faults } from './faults.js';
import { refreshStuckCounts } from './tasks.js';
import {
  findTaskDefinition,
  LIFECYCLE_EVENTS,
  randomDigits,
  randomString,
  type Deployment,
  type EmulatorState,
  type FailPlan,
  type HookEventName,
  type LifecycleEvent,
  type Service,
  type TaskSet,
} from './state.js';

export interface TrafficRoutingConfig {
  type: 'TimeBasedCanary' | 'TimeBasedLinear' | 'AllAtOnce';
  timeBasedCanary?: { canaryPercentage: number; canaryInterval: number };
  timeBasedLinear?: { linearPercentage: number; linearInterval: number };
}

/** The predefined ECS deployment configurations (CodeDeploy user guide, deployment-configurations). */
export const DEPLOYMENT_CONFIGS: Record<string, { id: string; trafficRoutingConfig: TrafficRoutingConfig }> =
  {
    'CodeDeployDefault.ECSAllAtOnce': {
      id: '7a9a4bd0-2bdc-4b48-a0c5-95a4d8d9b3a1',
      trafficRoutingConfig: { type: 'AllAtOnce' },
    },
    'CodeDeployDefault.ECSLinear10PercentEvery1Minutes': {
      id: '1f0b3c55-7a76-4c0b-9b77-8f1c0d3c2a01',
      trafficRoutingConfig: {
        type: 'TimeBasedLinear',
        timeBasedLinear: { linearPercentage: 10, linearInterval: 1 },
      },
    },
    'CodeDeployDefault.ECSLinear10PercentEvery3Minutes': {
      id: '1f0b3c55-7a76-4c0b-9b77-8f1c0d3c2a03',
      trafficRoutingConfig: {
        type: 'TimeBasedLinear',
        timeBasedLinear: { linearPercentage: 10, linearInterval: 3 },
      },
    },
    'CodeDeployDefault.ECSCanary10Percent5Minutes': {
      id: '5e1c6a0e-2b53-4f6a-8a4f-2b9c5d0e7f05',
      trafficRoutingConfig: {
        type: 'TimeBasedCanary',
        timeBasedCanary: { canaryPercentage: 10, canaryInterval: 5 },
      },
    },
    'CodeDeployDefault.ECSCanary10Percent15Minutes': {
      id: '5e1c6a0e-2b53-4f6a-8a4f-2b9c5d0e7f15',
      trafficRoutingConfig: {
        type: 'TimeBasedCanary',
        timeBasedCanary: { canaryPercentage: 10, canaryInterval: 15 },
      },
    },
  };

/** Virtual durations of the lifecycle steps. */
export const TIMING = {
  startDelayMs: 1_000,
  hookMs: 5_000,
  noHookMs: 200,
  installMs: 30_000,
  testTrafficMs: 1_000,
  allAtOnceMs: 1_000,
  rollbackStepMs: 500,
  hookTimeoutMs: 3_600_000,
  /** how long CodeDeploy waits for a replacement task set that never becomes healthy [unconfirmed] */
  stuckInstallTimeoutMs: 3_600_000,
  stuckCycleMs: 60_000,
};

/** Traffic steps of AllowTraffic: offsets from its start and the green weight from then on. */
export function trafficSteps(config: TrafficRoutingConfig): { offsetMs: number; weight: number }[] {
  if (config.type === 'TimeBasedCanary' && config.timeBasedCanary) {
    const { canaryPercentage, canaryInterval } = config.timeBasedCanary;
    return [
      { offsetMs: 0, weight: canaryPercentage },
      { offsetMs: canaryInterval * 60_000, weight: 100 },
    ];
  }
  if (config.type === 'TimeBasedLinear' && config.timeBasedLinear) {
    const { linearPercentage, linearInterval } = config.timeBasedLinear;
    const steps: { offsetMs: number; weight: number }[] = [];
    for (let i = 0, w = linearPercentage; ; i++, w += linearPercentage) {
      steps.push({ offsetMs: i * linearInterval * 60_000, weight: Math.min(100, w) });
      if (w >= 100) break;
    }
    return steps;
  }
  return [{ offsetMs: 0, weight: 100 }];
}

export interface TimelineContext {
  state: EmulatorState;
  faults: () => Faults;
}

const ACTIVE_STATUSES = new Set(['Created', 'Queued', 'InProgress', 'Ready', 'Baking']);

export function isActive(d: Deployment): boolean {
  return ACTIVE_STATUSES.has(d.status);
}

function serviceOf(ctx: TimelineContext, d: Deployment): Service | undefined {
  const g = ctx.state.deploymentGroups.get(`${d.applicationName}/${d.deploymentGroupName}`);
  if (!g) return undefined;
  return ctx.state.services.get(`${g.ecsService.clusterName}/${g.ecsService.serviceName}`);
}

function taskSet(svc: Service | undefined, id: string | undefined): TaskSet | undefined {
  return id === undefined ? undefined : svc?.taskSets.find((t) => t.id === id);
}

function touch(d: Deployment, at: number): void {
  d.target.lastUpdatedAt = Math.max(d.target.lastUpdatedAt, at);
}

function updateGroupHistory(ctx: TimelineContext, d: Deployment): void {
  const g = ctx.state.deploymentGroups.get(`${d.applicationName}/${d.deploymentGroupName}`);
  if (!g) return;
  const entry = {
    deploymentId: d.deploymentId,
    status: d.status,
    createTime: d.createTime,
    ...(d.completeTime !== undefined ? { endTime: d.completeTime } : {}),
  };
  g.lastAttemptedDeployment = entry;
  if (d.status === 'Succeeded') g.lastSuccessfulDeployment = entry;
}

function setListener(
  ctx: TimelineContext,
  listenerArn: string | undefined,
  weights: [string, number][],
): void {
  if (!listenerArn) return;
  const l = ctx.state.listeners.get(listenerArn);
  if (l) l.forward = weights.map(([targetGroupArn, weight]) => ({ targetGroupArn, weight }));
}

function group(ctx: TimelineContext, d: Deployment) {
  return ctx.state.deploymentGroups.get(`${d.applicationName}/${d.deploymentGroupName}`);
}

function hasTestListener(ctx: TimelineContext, d: Deployment): boolean {
  return group(ctx, d)?.testListenerArn !== undefined;
}

function currentEvent(d: Deployment): LifecycleEvent | undefined {
  if (d.phase.kind === 'event') return d.target.events[d.phase.index];
  if (d.phase.kind === 'stopping' && d.phase.index !== undefined) return d.target.events[d.phase.index];
  return undefined;
}

/** Apply the AllowTraffic weights due at time `t`. */
function applyWeights(ctx: TimelineContext, d: Deployment, t: number): void {
  if (d.phase.kind !== 'event' || d.target.events[d.phase.index]?.lifecycleEventName !== 'AllowTraffic')
    return;
  const config = d.creator === 'codeDeployRollback' ? { type: 'AllAtOnce' as const } : configOf(d);
  const elapsed = t - d.phase.startedAt;
  let weight = 0;
  for (const s of trafficSteps(config)) if (s.offsetMs <= elapsed) weight = s.weight;
  const svc = serviceOf(ctx, d);
  const green = taskSet(svc, d.greenTaskSetId);
  const blue = taskSet(svc, d.blueTaskSetId);
  if (green && green.trafficWeight !== weight) {
    green.trafficWeight = weight;
    green.updatedAt = t;
    if (blue) {
      blue.trafficWeight = 100 - weight;
      blue.updatedAt = t;
    }
    touch(d, t);
    const g = group(ctx, d);
    if (d.greenTargetGroupArn && d.blueTargetGroupArn)
      setListener(ctx, g?.prodListenerArn, [
        [d.blueTargetGroupArn, 100 - weight],
        [d.greenTargetGroupArn, weight],
      ]);
  }
}

function configOf(d: Deployment): TrafficRoutingConfig {
  return (DEPLOYMENT_CONFIGS[d.deploymentConfigName] ?? DEPLOYMENT_CONFIGS['CodeDeployDefault.ECSAllAtOnce']!)
    .trafficRoutingConfig;
}

/** Why the Install step can't create the replacement task set, like ECS would refuse CreateTaskSet. */
function installProblem(ctx: TimelineContext, d: Deployment): string | undefined {
  const td = findTaskDefinition(ctx.state, d.appSpec.taskDefinitionArn);
  if (!td) return `Unable to describe task definition ${d.appSpec.taskDefinitionArn}.`;
  if (td.status !== 'ACTIVE') return `TaskDefinition is inactive (${td.taskDefinitionArn}).`;
  const containers = (td.body.containerDefinitions ?? []) as {
    name?: string;
    portMappings?: { containerPort?: number }[];
  }[];
  const c = containers.find((x) => x.name === d.appSpec.containerName);
  if (!c) return `The container ${d.appSpec.containerName} does not exist in the task definition.`;
  if (!(c.portMappings ?? []).some((p) => p.containerPort === d.appSpec.containerPort))
    return `The container ${d.appSpec.containerName} did not have a container port ${d.appSpec.containerPort} defined.`;
  return undefined;
}

/**
 * CodeDeploy's own wording of a deployment's errorInformation.message, from the CodeDeploy User Guide's
 * "Troubleshoot Amazon ECS deployment issues" (troubleshooting-ecs.html): what users read in the console
 * and GetDeployment. The lifecycle event's diagnostics carry the hook's own message (docs/aws-behaviours.md).
 */
export const HOOK_FAILED_MESSAGE =
  'The deployment failed because one or more of the lifecycle event validation functions failed.';
export const HOOK_TIMED_OUT_MESSAGE =
  'The deployment timed out while waiting for a status callback. CodeDeploy expects a status callback within one hour after a deployment hook is invoked.';

function hookPlan(
  ctx: TimelineContext,
  d: Deployment,
  event: HookEventName,
): { durationMs: number; fails?: FailPlan } {
  const fn = d.creator === 'codeDeployRollback' ? undefined : d.appSpec.hooks[event];
  const injected = ctx.faults().failHook;
  if (injected && injected.event === event && d.creator !== 'codeDeployRollback') {
    const scriptName = fn ?? 'EmulatorInjectedHook';
    const message = injected.message ?? `Hook ${event} failed (injected fault)`;
    return {
      durationMs: injected.afterMs ?? (fn ? TIMING.hookMs : TIMING.noHookMs),
      fails: {
        errorCode: 'ScriptFailed',
        scriptName,
        message,
        logTail: injected.logTail ?? '',
        deploymentErrorCode: 'HOOK_EXECUTION_FAILURE',
        deploymentMessage: HOOK_FAILED_MESSAGE,
      },
    };
  }
  if (!fn) return { durationMs: TIMING.noHookMs };
  const behavior = ctx.state.lambdas.get(fn);
  if (behavior === undefined) {
    const message = `Function not found: arn:aws:lambda:${ctx.state.region}:${ctx.state.accountId}:function:${fn}`;
    return {
      durationMs: TIMING.noHookMs,
      fails: {
        errorCode: 'ScriptMissing',
        scriptName: fn,
        message,
        logTail: '',
        deploymentErrorCode: 'INVALID_LAMBDA_FUNCTION',
        deploymentMessage: `The deployment failed because the Lambda function ${fn} for ${event} could not be invoked: ${message}`,
      },
    };
  }
  if (behavior === 'succeed') return { durationMs: TIMING.hookMs };
  if ('delayMs' in behavior) {
    if (behavior.delayMs > TIMING.hookTimeoutMs)
      return {
        durationMs: TIMING.hookTimeoutMs,
        fails: {
          errorCode: 'ScriptTimedOut',
          scriptName: fn,
          message: `Lambda function ${fn} did not report a status for ${event} within 3600 seconds`,
          logTail: '',
          deploymentErrorCode: 'TIMEOUT',
          deploymentMessage: HOOK_TIMED_OUT_MESSAGE,
        },
      };
    return { durationMs: behavior.delayMs };
  }
  return {
    durationMs: TIMING.hookMs,
    fails: {
      errorCode: 'ScriptFailed',
      scriptName: fn,
      message: behavior.fail.message,
      logTail: behavior.fail.logTail ?? '',
      deploymentErrorCode: 'HOOK_EXECUTION_FAILURE',
      deploymentMessage: HOOK_FAILED_MESSAGE,
    },
  };
}

function startEvent(ctx: TimelineContext, d: Deployment, index: number, at: number): void {
  const ev = d.target.events[index];
  if (!ev) {
    allEventsDone(ctx, d, at);
    return;
  }
  const name = ev.lifecycleEventName;
  const rollback = d.creator === 'codeDeployRollback';
  if ((name === 'AllowTestTraffic' || name === 'AfterAllowTestTraffic') && !hasTestListener(ctx, d)) {
    ev.status = 'Skipped';
    touch(d, at);
    afterEvent(ctx, d, index, at);
    return;
  }
  ev.status = 'InProgress';
  ev.startTime = at;
  touch(d, at);
  let durationMs = TIMING.noHookMs;
  let fails: FailPlan | undefined;
  if (name === 'Install') {
    if (rollback || d.greenTaskSetId !== undefined) durationMs = TIMING.rollbackStepMs;
    else {
      const problem = installProblem(ctx, d);
      if (problem) {
        durationMs = TIMING.allAtOnceMs;
        fails = {
          errorCode: 'UnknownError',
          scriptName: '',
          message: problem,
          logTail: '',
          deploymentErrorCode: 'ECS_UPDATE_ERROR',
          deploymentMessage: `The ECS service cannot be updated due to an unexpected error: ${problem} (Service: AmazonECS; Status Code: 400; Error Code: InvalidParameterException)`,
        };
      } else {
        createGreen(ctx, d, at);
        durationMs = TIMING.installMs;
        const stuck = ctx.faults().stuckInstall;
        const green = taskSet(serviceOf(ctx, d), d.greenTaskSetId);
        if (stuck && green) {
          green.stuck = {
            since: at,
            cause: stuck.cause ?? 'health-checks',
            cycleMs: (stuck.cycleSeconds ?? TIMING.stuckCycleMs / 1000) * 1000,
          };
          green.pendingCount = 0;
          durationMs =
            stuck.timeoutMinutes !== undefined ? stuck.timeoutMinutes * 60_000 : TIMING.stuckInstallTimeoutMs;
          const minutes = Math.round(durationMs / 60_000);
          const message = `The deployment timed out while waiting for the replacement task set to become healthy. This time out period is ${minutes} minutes.`;
          fails = {
            errorCode: 'UnknownError',
            scriptName: '',
            message,
            logTail: '',
            deploymentErrorCode: 'TIMEOUT',
            deploymentMessage: message,
          };
        }
      }
    }
  } else if (name === 'AllowTestTraffic')
    durationMs = rollback ? TIMING.rollbackStepMs : TIMING.testTrafficMs;
  else if (name === 'AllowTraffic') {
    const steps = trafficSteps(rollback ? { type: 'AllAtOnce' } : configOf(d));
    durationMs = (steps[steps.length - 1]?.offsetMs ?? 0) + TIMING.allAtOnceMs;
  } else {
    const plan = hookPlan(ctx, d, name as HookEventName);
    durationMs = rollback ? TIMING.rollbackStepMs : plan.durationMs;
    fails = plan.fails;
  }
  d.phase = { kind: 'event', index, startedAt: at, endsAt: at + durationMs, ...(fails ? { fails } : {}) };
  applyWeights(ctx, d, at);
}

function createGreen(ctx: TimelineContext, d: Deployment, at: number): void {
  const svc = serviceOf(ctx, d);
  if (!svc) return;
  const blue = svc.taskSets.find((t) => t.status === 'PRIMARY');
  const g = group(ctx, d);
  const tgs = g
    ? g.targetGroupNames.map((n) => [...ctx.state.targetGroups.values()].find((t) => t.name === n))
    : [];
  const blueTg = blue?.targetGroupArn ?? tgs[0]?.arn ?? '';
  const greenTg = tgs.map((t) => t?.arn).find((a) => a !== undefined && a !== blueTg) ?? blueTg;
  const id = `ecs-svc/${randomDigits(19)}`;
  const green: TaskSet = {
    id,
    taskSetArn: `arn:aws:ecs:${ctx.state.region}:${ctx.state.accountId}:task-set/${svc.clusterName}/${svc.serviceName}/${id}`,
    status: 'ACTIVE',
    taskDefinition:
      findTaskDefinition(ctx.state, d.appSpec.taskDefinitionArn)?.taskDefinitionArn ??
      d.appSpec.taskDefinitionArn,
    externalId: d.deploymentId,
    startedBy: 'CODE_DEPLOY',
    targetGroupArn: greenTg,
    containerName: d.appSpec.containerName,
    containerPort: d.appSpec.containerPort,
    computedDesiredCount: svc.desiredCount,
    pendingCount: svc.desiredCount,
    runningCount: 0,
    stabilityStatus: 'STABILIZING',
    trafficWeight: 0,
    platformVersion: d.appSpec.platformVersion ?? blue?.platformVersion ?? 'LATEST',
    networkConfiguration:
      d.appSpec.networkConfiguration ?? blue?.networkConfiguration ?? svc.networkConfiguration,
    createdAt: at,
    updatedAt: at,
  };
  svc.taskSets.push(green);
  d.greenTaskSetId = id;
  d.blueTaskSetId = blue?.id;
  d.blueTargetGroupArn = blueTg;
  d.greenTargetGroupArn = greenTg;
}

function finishEvent(ctx: TimelineContext, d: Deployment, at: number): void {
  if (d.phase.kind !== 'event') return;
  const { index, fails } = d.phase;
  const ev = d.target.events[index];
  if (!ev) return;
  applyWeights(ctx, d, at);
  if (fails) {
    ev.status = 'Failed';
    ev.endTime = at;
    ev.diagnostics = {
      errorCode: fails.errorCode,
      scriptName: fails.scriptName,
      message: fails.message,
      logTail: fails.logTail,
    };
    failDeployment(
      ctx,
      d,
      at,
      'Failed',
      { code: fails.deploymentErrorCode, message: fails.deploymentMessage },
      'DEPLOYMENT_FAILURE',
    );
    return;
  }
  ev.status = 'Succeeded';
  ev.endTime = at;
  touch(d, at);
  const svc = serviceOf(ctx, d);
  const green = taskSet(svc, d.greenTaskSetId);
  const blue = taskSet(svc, d.blueTaskSetId);
  if (ev.lifecycleEventName === 'Install' && green) {
    green.runningCount = green.computedDesiredCount;
    green.pendingCount = 0;
    green.stabilityStatus = 'STEADY_STATE';
    green.updatedAt = at;
  }
  if (ev.lifecycleEventName === 'AllowTestTraffic' && d.greenTargetGroupArn)
    setListener(ctx, group(ctx, d)?.testListenerArn, [[d.greenTargetGroupArn, 1]]);
  if (ev.lifecycleEventName === 'AllowTraffic' && svc && green) {
    green.status = 'PRIMARY';
    green.trafficWeight = 100;
    green.updatedAt = at;
    if (blue) {
      blue.status = 'ACTIVE';
      blue.trafficWeight = 0;
      blue.updatedAt = at;
    }
    svc.taskDefinition = green.taskDefinition;
    if (d.greenTargetGroupArn) setListener(ctx, group(ctx, d)?.prodListenerArn, [[d.greenTargetGroupArn, 1]]);
  }
  afterEvent(ctx, d, index, at);
}

function afterEvent(ctx: TimelineContext, d: Deployment, index: number, at: number): void {
  // the ready wait sits just before BeforeAllowTraffic: after AfterAllowTestTraffic, or after AfterInstall
  // when the target lists no test-traffic events (faults.omitTestTrafficEvents)
  if (
    d.target.events[index + 1]?.lifecycleEventName === 'BeforeAllowTraffic' &&
    d.creator !== 'codeDeployRollback' &&
    d.readyOption.actionOnTimeout === 'STOP_DEPLOYMENT' &&
    d.readyOption.waitTimeInMinutes > 0
  ) {
    d.status = 'Ready';
    d.target.status = 'Ready';
    d.phase = { kind: 'ready', since: at };
    touch(d, at);
    return;
  }
  startEvent(ctx, d, index + 1, at);
}

function allEventsDone(ctx: TimelineContext, d: Deployment, at: number): void {
  d.target.status = 'Succeeded';
  touch(d, at);
  if (d.creator !== 'codeDeployRollback' && d.terminationWaitMinutes > 0) {
    d.phase = { kind: 'termination', since: at };
    return;
  }
  finishTermination(ctx, d, at);
}

function finishTermination(ctx: TimelineContext, d: Deployment, at: number): void {
  const svc = serviceOf(ctx, d);
  if (svc && d.blueTaskSetId !== undefined)
    svc.taskSets = svc.taskSets.filter((t) => t.id !== d.blueTaskSetId);
  d.status = 'Succeeded';
  d.completeTime = at;
  d.phase = { kind: 'done' };
  touch(d, at);
  updateGroupHistory(ctx, d);
}

/** End a deployment as Failed or Stopped and, when it should, start the rollback deployment. */
export function failDeployment(
  ctx: TimelineContext,
  d: Deployment,
  at: number,
  status: 'Failed' | 'Stopped',
  error: { code: string; message: string },
  trigger: 'DEPLOYMENT_FAILURE' | 'DEPLOYMENT_STOP_ON_REQUEST' | 'FORCE',
  rollbackOverride?: boolean,
): Deployment | undefined {
  const current = currentEvent(d);
  if (current && current.status === 'InProgress') {
    current.status = status === 'Stopped' ? 'Skipped' : 'Failed';
    current.endTime = at;
  }
  for (const ev of d.target.events) if (ev.status === 'Pending') ev.status = 'Skipped';
  d.target.status = 'Failed';
  d.status = status;
  d.errorInformation = error;
  d.completeTime = at;
  d.phase = { kind: 'done' };
  touch(d, at);
  updateGroupHistory(ctx, d);
  const config = d.autoRollbackConfiguration;
  const wanted =
    trigger === 'FORCE' ||
    (rollbackOverride ?? (config?.enabled === true && config.events.includes(trigger)));
  if (!wanted || d.creator === 'codeDeployRollback' || d.greenTaskSetId === undefined) return undefined;
  return createRollback(ctx, d, at, error.message);
}

function createRollback(ctx: TimelineContext, d: Deployment, at: number, reason: string): Deployment {
  const state = ctx.state;
  const id = newDeploymentId(state);
  const prev = d.previousRevisionSha256 ?? d.revisionSha256;
  const stored = state.revisions.get(`${d.applicationName}/${prev}`);
  const appSpec = stored ? parseAppSpec(stored.content) : d.appSpec;
  const message = `Automatic rollback triggered by deployment ${d.deploymentId}: ${reason}`;
  const rb: Deployment = {
    deploymentId: id,
    applicationName: d.applicationName,
    deploymentGroupName: d.deploymentGroupName,
    deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
    status: 'Created',
    createTime: at,
    creator: 'codeDeployRollback',
    rollbackInfo: { rollbackTriggeringDeploymentId: d.deploymentId, rollbackMessage: message },
    revisionSha256: prev,
    previousRevisionSha256: d.revisionSha256,
    appSpec: { ...appSpec, hooks: {} },
    readyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 0 },
    terminationWaitMinutes: 0,
    target: {
      status: 'Pending',
      lastUpdatedAt: at,
      events: freshEvents(!d.target.events.some((e) => e.lifecycleEventName === 'AllowTestTraffic')),
    },
    phase: { kind: 'created' },
    // the set being replaced is the failed green one; the original blue takes traffic back
    ...(d.greenTaskSetId !== undefined ? { blueTaskSetId: d.greenTaskSetId } : {}),
    ...(d.blueTaskSetId !== undefined ? { greenTaskSetId: d.blueTaskSetId } : {}),
    ...(d.greenTargetGroupArn !== undefined ? { blueTargetGroupArn: d.greenTargetGroupArn } : {}),
    ...(d.blueTargetGroupArn !== undefined ? { greenTargetGroupArn: d.blueTargetGroupArn } : {}),
    statusMessages: [],
  };
  d.rollbackInfo = { ...(d.rollbackInfo ?? {}), rollbackDeploymentId: id, rollbackMessage: message };
  state.deployments.set(id, rb);
  return rb;
}

/** The target's events; `withoutTestTraffic` leaves out AllowTestTraffic and AfterAllowTestTraffic (6 events). */
export function freshEvents(withoutTestTraffic = false): LifecycleEvent[] {
  return LIFECYCLE_EVENTS.filter(
    (e) => !withoutTestTraffic || (e !== 'AllowTestTraffic' && e !== 'AfterAllowTestTraffic'),
  ).map((lifecycleEventName) => ({ lifecycleEventName, status: 'Pending' }));
}

export function newDeploymentId(state: EmulatorState): string {
  for (;;) {
    const id = `d-${randomString(9)}`;
    if (!state.deployments.has(id)) return id;
  }
}

export function sha256(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

function begin(ctx: TimelineContext, d: Deployment, at: number): void {
  d.status = 'InProgress';
  d.startTime = at;
  d.target.status = 'InProgress';
  touch(d, at);
  const svc = serviceOf(ctx, d);
  if (!svc || svc.deploymentController !== 'CODE_DEPLOY') {
    const ev = d.target.events[0];
    if (ev) {
      ev.status = 'InProgress';
      ev.startTime = at;
      d.phase = { kind: 'event', index: 0, startedAt: at, endsAt: at };
    }
    failDeployment(
      ctx,
      d,
      at,
      'Failed',
      {
        code: 'INVALID_ECS_SERVICE',
        message: svc
          ? `The ECS service ${svc.serviceName} in cluster ${svc.clusterName} has deployment controller ${svc.deploymentController}; CodeDeploy can only deploy services whose deployment controller is CODE_DEPLOY.`
          : 'The ECS service of the deployment group does not exist.',
      },
      'DEPLOYMENT_FAILURE',
    );
    return;
  }
  startEvent(ctx, d, 0, at);
}

/** Replay one deployment up to `now`. */
export function advance(ctx: TimelineContext, d: Deployment, now: number): void {
  for (let guard = 0; guard < 1000; guard++) {
    const p = d.phase;
    if (p.kind === 'done') return;
    if (p.kind === 'created') {
      const at = d.createTime + TIMING.startDelayMs;
      if (now < at) return;
      begin(ctx, d, at);
      continue;
    }
    if (p.kind === 'event') {
      applyWeights(ctx, d, Math.min(now, p.endsAt));
      const svc = serviceOf(ctx, d);
      const green = taskSet(svc, d.greenTaskSetId);
      if (svc && green?.stuck) refreshStuckCounts(ctx.state, svc, green, Math.min(now, p.endsAt));
      if (now < p.endsAt) return;
      finishEvent(ctx, d, p.endsAt);
      continue;
    }
    if (p.kind === 'ready') {
      const at = p.since + d.readyOption.waitTimeInMinutes * 60_000;
      if (now < at) return;
      failDeployment(
        ctx,
        d,
        at,
        'Stopped',
        {
          code: 'TIMEOUT',
          message: `The deployment timed out while waiting for a notification to continue. This time out period is ${d.readyOption.waitTimeInMinutes} minutes.`,
        },
        'FORCE',
      );
      return;
    }
    if (p.kind === 'stopping') {
      if (now < p.until) return;
      failDeployment(
        ctx,
        d,
        p.until,
        'Stopped',
        { code: 'MANUAL_STOP', message: 'The deployment was stopped by the user.' },
        'DEPLOYMENT_STOP_ON_REQUEST',
        p.rollback,
      );
      return;
    }
    const at = p.since + d.terminationWaitMinutes * 60_000;
    if (now < at) return;
    finishTermination(ctx, d, at);
  }
}

export function advanceAll(ctx: TimelineContext, now: number): void {
  // a Map iterator also visits entries added while iterating, so rollbacks created here advance too
  for (const d of ctx.state.deployments.values()) advance(ctx, d, now);
}

/** ContinueDeployment(READY_WAIT): leave the ready wait now. */
export function continueFromReady(ctx: TimelineContext, d: Deployment, at: number): void {
  if (d.phase.kind !== 'ready') return;
  d.status = 'InProgress';
  d.target.status = 'InProgress';
  const index = d.target.events.findIndex((e) => e.lifecycleEventName === 'BeforeAllowTraffic');
  startEvent(ctx, d, index, at);
}

/** ContinueDeployment(TERMINATION_WAIT): terminate the original task set now. */
export function continueFromTermination(ctx: TimelineContext, d: Deployment, at: number): void {
  if (d.phase.kind !== 'termination') return;
  finishTermination(ctx, d, at);
}

/**
 * StopDeployment with faults.stopPending: the deployment keeps its status (and its running event) for
 * `delayMs`, then is Stopped and, when it should, its rollback deployment is created.
 */
export function beginStopping(
  d: Deployment,
  at: number,
  delayMs: number,
  rollback: boolean | undefined,
): void {
  const index = d.phase.kind === 'event' ? d.phase.index : undefined;
  d.phase = {
    kind: 'stopping',
    since: at,
    until: at + delayMs,
    ...(index !== undefined ? { index } : {}),
    ...(rollback !== undefined ? { rollback } : {}),
  };
  touch(d, at);
}
