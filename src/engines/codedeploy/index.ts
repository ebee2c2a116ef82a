/**
 * The CodeDeploy engine (services with the CODE_DEPLOY deployment controller) as the commands see it
 * (src/engine/engine.ts Engine): this file wires the files beside it and holds nothing else.
 */
import { codeDeployInputWarnings } from '../../action/inputs.js';
import {
  deploymentService,
  findMarkedDeployments,
  getDeploymentOrExplain,
  isDeploymentInFlight,
} from '../../aws/codedeploy-reads.js';
import { markedRunId } from '../../action/run-marker.js';
import type { DeploymentState, Engine } from '../../engine/engine.js';
import type { DeploymentRecord } from '../../record/record.js';
import { prepareCodeDeploy } from './deploy.js';
import { locateForPromote, locateForRollback } from './locate.js';
import { planCodeDeploy } from './plan.js';
import { codeDeploySteering } from './steering.js';

const STATES: Record<string, DeploymentState> = {
  Created: 'pending',
  Queued: 'pending',
  InProgress: 'in-progress',
  Baking: 'in-progress',
  Ready: 'held',
  Succeeded: 'succeeded',
};

/** deployment-state of a CodeDeploy deployment: a failed or stopped one is as far as its rollback got. */
export function codeDeployState(record: Pick<DeploymentRecord, 'status' | 'rollback'>): DeploymentState {
  const status = record.status ?? 'Created';
  const known = STATES[status];
  if (known) return known;
  const rollback = record.rollback;
  if (rollback) {
    if (rollback.status === 'Succeeded') return 'rolled-back';
    if (rollback.status === undefined || isDeploymentInFlight(rollback.status)) return 'rolling-back';
  }
  return status === 'Stopped' ? 'stopped' : 'failed';
}

export const codeDeployEngine: Engine = {
  name: 'codedeploy',
  label: 'CodeDeploy',
  noun: 'Deployment',
  idOutputs: ['codedeploy-deployment-id'],
  startCall: 'CreateDeployment',
  controller: 'CODE_DEPLOY',
  claimsId: (id) => /^d-[A-Z0-9]+$/.test(id),
  inFlight: isDeploymentInFlight,
  // A CodeDeploy deployment is undone by another deployment: its own status never says "being undone".
  undoing: () => false,
  state: codeDeployState,
  steering: (ctx) => codeDeploySteering(ctx.clients.codedeploy, ctx.rt.clock, ctx.region),
  inputWarnings: (read) => codeDeployInputWarnings(read),
  prepare: (ctx, inputs, service, file) => prepareCodeDeploy(codeDeployEngine, ctx, inputs, service, file),
  plan: planCodeDeploy,
  locateForPromote: (ctx, inputs) => locateForPromote(codeDeployEngine, ctx, inputs),
  locateForRollback: (ctx, inputs) => locateForRollback(codeDeployEngine, ctx, inputs),
  /** The group's ECS service, and the run its description's mark names. */
  ownerOf: async (ctx, id) => {
    const deployment = await getDeploymentOrExplain(ctx.clients.codedeploy, ctx.rt.clock, id);
    const where = await deploymentService(ctx.clients.codedeploy, deployment);
    return { cluster: where.cluster, service: where.service, runId: markedRunId(deployment.description) };
  },
  /** A main step killed while CreateDeployment was in flight never learnt the id: this run's mark finds it. */
  findLeftBehind: async (ctx, saved) => {
    const pending = saved.pending;
    const marker = pending?.fields.runMarker;
    if (!pending || !marker) return [];
    const found = await findMarkedDeployments(ctx.clients.codedeploy, ctx.rt.clock, {
      application: pending.fields.application ?? '',
      group: pending.fields.deploymentGroup ?? '',
      marker,
      since: pending.startedAt,
    });
    return found.map((d) => d.deploymentId).filter((id): id is string => typeof id === 'string');
  },
  describeLeftBehind: ({ fields }) => ({
    where: `in ${fields.application ?? '?'}/${fields.deploymentGroup ?? '?'}`,
    by: `carries this run's mark ${fields.runMarker ?? ''}`,
    cannot: fields.runMarker
      ? undefined
      : 'it carries no mark of this run (GITHUB_RUN_ID is not set), so the post step cannot tell it from another',
  }),
};
