import { ApiError } from '../protocol.js';
import type { EmulatorState, Service } from '../state.js';
import { isActive } from '../timeline.js';
import { defaultConfig } from './config.js';
import { DEFAULT_NATIVE_TIMING } from './stages.js';
import { newRevision } from './machine.js';
import { DEFAULT_READINGS, type NativeService, nativeState, invalid, keyOf, ecsSvcId } from './model.js';
import { launchTasks } from './tasks.js';

// ───────────────────────────── the controller switch ─────────────────────────────

/** Give an ECS-controller service native state: a revision for what it runs and its running tasks. */
export function adopt(state: EmulatorState, svc: Service, at: number): NativeService {
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
    readings: { ...DEFAULT_READINGS },
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

export function switchController(state: EmulatorState, svc: Service, to: string, at: number): void {
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
