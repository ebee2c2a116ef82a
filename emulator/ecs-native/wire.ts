import {
  clusterArn,
  epochSeconds,
  findTaskDefinition,
  serviceArn,
  type EmulatorState,
  type Service,
} from '../state.js';
import { configWire } from './config.js';
import {
  type NativeRevision,
  type NativeDeployment,
  type NativeTask,
  type NativeState,
  nativeState,
  keyOf,
  deploymentsOf,
} from './model.js';
import { counts } from './tasks.js';

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

export function briefWire(state: EmulatorState, d: NativeDeployment): Record<string, unknown> {
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

export function revisionWire(state: EmulatorState, r: NativeRevision): Record<string, unknown> {
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

/** The fields DescribeServices/UpdateService show for an ECS-controller service with native state. */
export function decorate(
  state: EmulatorState,
  wire: Record<string, unknown>,
  svc: Service,
  now: number,
): Record<string, unknown> {
  const ns = nativeState(state);
  const n = ns.services.get(keyOf(svc));
  const codeDeployConfig = ns.codeDeployConfigs.get(keyOf(svc));
  if (svc.deploymentController === 'CODE_DEPLOY' && codeDeployConfig)
    return { ...wire, deploymentConfiguration: configWire(codeDeployConfig) };
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
      // the service's volume configuration (UpdateService volumeConfigurations) shows on its deployments
      ...(svc.volumeConfigurations ? { volumeConfigurations: svc.volumeConfigurations } : {}),
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

export function taskWire(state: EmulatorState, t: NativeTask): Record<string, unknown> {
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
