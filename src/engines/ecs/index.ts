/**
 * ECS's own service deployments (services with the ECS deployment controller: BLUE_GREEN, LINEAR, CANARY,
 * ROLLING) as the commands see them (src/engine/engine.ts Engine): this file wires the files beside it and
 * holds nothing else.
 */
import { ecsServiceInputWarnings } from '../../action/inputs.js';
import type { DeploymentState, Engine } from '../../engine/engine.js';
import type { DeploymentRecord } from '../../record/record.js';
import { prepareEcs } from './deploy.js';
import { checkArnRegion, locateForPromote, locateForRollback } from './locate.js';
import { planEcs } from './plan.js';
import { isEcsDeploymentInFlight } from './progress.js';
import { isServiceDeploymentArn } from './reads.js';
import { ecsSteering } from './steering.js';
import { findStartedDeployment } from './start.js';
import { utcClock } from '../../record/format.js';

const STATES: Record<string, DeploymentState> = {
  PENDING: 'pending',
  IN_PROGRESS: 'in-progress',
  SUCCESSFUL: 'succeeded',
  STOPPED: 'stopped',
  STOP_REQUESTED: 'rolling-back',
  ROLLBACK_REQUESTED: 'rolling-back',
  ROLLBACK_IN_PROGRESS: 'rolling-back',
  ROLLBACK_SUCCESSFUL: 'rolled-back',
  ROLLBACK_FAILED: 'failed',
};

/** A pause hook the deployment waits in, by the last state the record saw of each hook. */
function waitsInPauseHook(record: Pick<DeploymentRecord, 'ecs'>): boolean {
  const last = new Map<string, string>();
  for (const hook of record.ecs?.hooks ?? []) last.set(hook.hookId, hook.status);
  return [...last.values()].includes('AWAITING_ACTION');
}

/** deployment-state of a service deployment: IN_PROGRESS waiting in a pause hook is held for a promote. */
export function ecsState(record: Pick<DeploymentRecord, 'status' | 'ecs'>): DeploymentState {
  const state = STATES[record.status ?? 'PENDING'] ?? 'in-progress';
  return state === 'in-progress' && waitsInPauseHook(record) ? 'held' : state;
}

export const ecsEngine: Engine = {
  name: 'ecs',
  label: 'ECS',
  noun: 'Service deployment',
  idOutputs: [],
  startCall: 'UpdateService',
  controller: 'ECS',
  claimsId: isServiceDeploymentArn,
  inFlight: isEcsDeploymentInFlight,
  undoing: (status) =>
    status !== undefined && (status.startsWith('ROLLBACK_') || status === 'STOP_REQUESTED'),
  state: (record) => ecsState(record as DeploymentRecord),
  steering: (ctx) => ecsSteering(ctx.clients.ecs, ctx.rt.clock),
  inputWarnings: (read) => ecsServiceInputWarnings(read),
  prepare: (ctx, inputs, service, file) => prepareEcs(ecsEngine, ctx, inputs, service, file),
  plan: planEcs,
  locateForPromote: (ctx, inputs) => locateForPromote(ecsEngine, ctx, inputs),
  locateForRollback: (ctx, inputs) => locateForRollback(ecsEngine, ctx, inputs),
  /** The service its ARN names (service-deployment/<cluster>/<service>/<id>); ECS keeps no run mark. */
  ownerOf: async (ctx, id) => checkArnRegion(id, ctx.region),
  /**
   * A main step killed while UpdateService was in flight (or whose answer was lost) never learnt the
   * deployment: the service's deployments created since just before the call whose target revision runs
   * the task definition it deployed (the revision this run registered, unless task-definition-arn named one).
   */
  findLeftBehind: async (ctx, saved) => {
    const { fields, startedAt } = saved.pending ?? { fields: {}, startedAt: 0 };
    const { cluster, service, taskDefinitionArn } = fields;
    if (!cluster || !service || !taskDefinitionArn) return [];
    const found = await findStartedDeployment(
      ctx.clients.ecs,
      ctx.rt.clock,
      { cluster, service, taskDefinitionArn, since: startedAt },
      ctx.rt.signal,
    );
    return found?.serviceDeploymentArn ? [found.serviceDeploymentArn] : [];
  },
  describeLeftBehind: ({ fields, startedAt }) => ({
    where: `of ${fields.cluster ?? '?'}/${fields.service ?? '?'}`,
    by: `deploys ${fields.taskDefinitionArn ?? '?'} (started since ${utcClock(startedAt)})`,
  }),
};
