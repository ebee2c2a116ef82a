/**
 * The ECS service deployment promote and rollback act on (src/engine/engine.ts Located, RollbackTarget),
 * given by ARN or the service's deployment in flight:
 * - promote: the deployment must wait in a PAUSE lifecycle hook (AWAITING_ACTION); promote continues that
 *   hook (ContinueServiceDeployment CONTINUE). One promote continues one pause: when the deployment pauses
 *   again (a LINEAR/CANARY pause at PRE_PRODUCTION_TRAFFIC_SHIFT fires at every step, each time with a new
 *   hookId; DG pause-lifecycle-hooks), following stops there (docs/ecs-native.md);
 * - rollback: a deployment in flight is stopped with rollback (StopServiceDeployment ROLLBACK) and the same
 *   deployment is followed back (ROLLBACK_REQUESTED → ROLLBACK_IN_PROGRESS → ROLLBACK_SUCCESSFUL); with
 *   nothing in flight, UpdateService with the revision before the one the service runs (the source revision
 *   of the last SUCCESSFUL service deployment, else the family's previous ACTIVE revision).
 */
import type { DeploymentLifecycleHookDetail, ServiceDeployment } from '@aws-sdk/client-ecs';
import type { PromoteInputs, RollbackInputs, WaitUntil } from '../../action/inputs.js';
import { InputError, errorMessage } from '../../action/errors.js';
import { awsErrorName, isAwsError } from '../../aws/errors.js';
import { describeService, previousRevision } from '../../aws/ecs-reads.js';
import { withRetries } from '../../aws/retry.js';
import type { Engine, EngineContext, Located, RollbackTarget, Started, Undo } from '../../engine/engine.js';
import { stopWithRollback } from '../../engine/stop.js';
import { newDeploymentRecord, newEcsPart, type DeploymentRecord } from '../../record/record.js';
import { continueServiceDeployment } from './control.js';
import { EcsFollower } from './follower.js';
import {
  awaitingPauseHook,
  carryOver,
  describeEcsPosition,
  isEcsDeploymentInFlight,
  isRollingBack,
  TERMINAL_STATUSES,
  UNDOING_STATUSES,
  type EcsObservation,
} from './progress.js';
import {
  describeServiceDeployment,
  describeServiceRevision,
  ecsConsoleUrl,
  findEcsDeploymentInFlight,
  listServiceDeployments,
  parseServiceDeploymentArn,
  readServiceDeployment,
} from './reads.js';
import { startServiceDeployment } from './start.js';

/** The deployment a promote or rollback acts on, as read before it acts. */
export interface EcsTarget {
  arn: string;
  cluster: string;
  service: string;
  deployment: ServiceDeployment;
}

/** `service-deployment/<cluster>/<service>/<id>` in another region than aws-region: the calls would miss it. */
export function checkArnRegion(arn: string, region: string): { cluster: string; service: string } {
  const parts = parseServiceDeploymentArn(arn);
  if (!parts)
    throw new InputError(
      "input 'deployment-id'",
      `'${arn}' is not an ECS service deployment ARN.`,
      'Pass the deploy step’s deployment-id output.',
    );
  if (parts.region !== region)
    throw new InputError(
      "input 'deployment-id'",
      `names a service deployment in ${parts.region}, but aws-region is ${region}.`,
      `Set aws-region to ${parts.region}.`,
    );
  return { cluster: parts.cluster, service: parts.service };
}

/** The deployment given by ARN, read once; a missing one is an input error. */
export async function readGivenEcsDeployment(
  ctx: EngineContext,
  arn: string,
  region: string,
): Promise<EcsTarget> {
  const where = checkArnRegion(arn, region);
  const deployment = await withRetries(ctx.rt.clock, () =>
    describeServiceDeployment(ctx.clients.ecs, arn),
  ).catch((error: unknown) => {
    if (
      isAwsError(error, 'ServiceNotFoundException', 'ClusterNotFoundException', 'InvalidParameterException')
    )
      throw new InputError(
        `service deployment ${arn}`,
        `was not found (${awsErrorName(error)}).`,
        'Check deployment-id.',
      );
    if (error instanceof Error && /was not found/.test(error.message))
      throw new InputError(
        `service deployment ${arn}`,
        'was not found in this account and region.',
        'Check deployment-id and aws-region.',
      );
    throw error;
  });
  return { arn, ...where, deployment };
}

/** The service's deployment in flight (newest first), read in full; undefined when none is. */
export async function readEcsDeploymentInFlight(
  ctx: EngineContext,
  cluster: string,
  service: string,
): Promise<EcsTarget | undefined> {
  const brief = await findEcsDeploymentInFlight(ctx.clients.ecs, ctx.rt.clock, cluster, service);
  const arn = brief?.serviceDeploymentArn;
  if (!arn) return undefined;
  const deployment = await withRetries(ctx.rt.clock, () => describeServiceDeployment(ctx.clients.ecs, arn));
  return { arn, cluster, service, deployment };
}

/** The task definition a service revision runs (DescribeServiceRevisions), undefined when it cannot be read. */
export async function revisionTaskDefinition(
  ctx: EngineContext,
  revisionArn: string | undefined,
): Promise<{ taskDefinition?: string; images: Array<{ container: string; image: string }> }> {
  if (!revisionArn) return { images: [] };
  const revision = await describeServiceRevision(ctx.clients.ecs, ctx.rt.clock, revisionArn).catch(
    () => undefined,
  );
  return {
    taskDefinition: revision?.taskDefinition,
    images: (revision?.containerImages ?? []).map((c) => ({
      container: c.containerName ?? '?',
      image: c.image ?? '?',
    })),
  };
}

/** The strategy of the deployment (its configuration snapshot), else BLUE_GREEN: ECS's default. */
export function strategyOf(d: ServiceDeployment): string {
  return d.deploymentConfiguration?.strategy ?? 'BLUE_GREEN';
}

/** The record of a deployment the action did not start, with its target revision's task definition and images. */
async function recordOf(
  ctx: EngineContext,
  target: EcsTarget,
  params: { region: string; waitUntil: WaitUntil; strategy: string },
): Promise<DeploymentRecord> {
  const revision = await revisionTaskDefinition(ctx, target.deployment.targetServiceRevision?.arn);
  return newDeploymentRecord({
    engine: 'ecs',
    deploymentId: target.arn,
    region: params.region,
    cluster: target.cluster,
    service: target.service,
    taskDefinitionArn: revision.taskDefinition ?? '(see the service deployment)',
    images: revision.images,
    waitUntil: params.waitUntil,
    startedAt: ctx.rt.clock.now(),
    status: target.deployment.status ?? 'PENDING',
    ecs: newEcsPart(params.strategy),
  });
}

/** A follower of a deployment the action did not start, with where it stood before the action acted. */
async function followerOf(
  engine: Engine,
  ctx: EngineContext,
  target: EcsTarget,
  waitUntil: WaitUntil,
  undo = false,
): Promise<{ follower: EcsFollower; before: EcsObservation }> {
  const { rt, region } = ctx;
  const strategy = strategyOf(target.deployment);
  const record = await recordOf(ctx, target, { region, waitUntil, strategy });
  const follower = new EcsFollower(engine, ctx, record, {
    strategy,
    config: target.deployment.deploymentConfiguration,
    undo,
  });
  // Where it stood before the action acted: absorbed, not replayed as if it were happening now.
  const before = carryOver(undefined, { at: rt.clock.now(), deployment: target.deployment });
  follower.absorb(before);
  return { follower, before };
}

/**
 * What promote does with the deployment as read: continue its pause hook; nothing (already SUCCESSFUL);
 * report how it ended (stopped, rolled back or rolling back). Anything else — still on its way to a pause,
 * or running with no pause — is an input error naming where it is.
 */
export type EcsPromoteStep =
  | { kind: 'continue'; hook: DeploymentLifecycleHookDetail & { hookId: string } }
  | { kind: 'already-succeeded' }
  | { kind: 'already-ended' };

export function ecsPromoteStep(arn: string, d: ServiceDeployment): EcsPromoteStep {
  const status = d.status ?? 'PENDING';
  if (status === 'SUCCESSFUL') return { kind: 'already-succeeded' };
  if (TERMINAL_STATUSES.includes(status) || UNDOING_STATUSES.includes(status) || isRollingBack(d))
    return { kind: 'already-ended' };
  const hook = awaitingPauseHook(d);
  if (hook?.hookId) return { kind: 'continue', hook: { ...hook, hookId: hook.hookId } };
  const running = d.lifecycleHookDetails?.find((h) => h.status === 'IN_PROGRESS');
  throw new InputError(
    `service deployment ${arn}`,
    `is ${status}${d.lifecycleStage ? ` at stage ${d.lifecycleStage}` : ''}${running ? ` (hook ${running.hookId ?? '?'} running)` : ''}, not waiting in a pause hook: there is nothing to promote.`,
    'Promote once the deployment waits in a PAUSE lifecycle hook (deploy with wait-until: ready and a PAUSE hook at POST_TEST_TRAFFIC_SHIFT). A deployment with no pause goes on by itself: follow it with the deploy step, or stop it with the rollback action.',
  );
}

/** The pause hook, other than `continued`, that the deployment waits in now (not while being undone). */
export function pausedElsewhere(
  o: EcsObservation,
  continued: string,
): DeploymentLifecycleHookDetail | undefined {
  const d = o.deployment;
  if (d.status === 'SUCCESSFUL' || !isEcsDeploymentInFlight(d.status) || isRollingBack(d)) return undefined;
  const hook = awaitingPauseHook(d);
  return hook && hook.hookId !== continued ? hook : undefined;
}

export async function locateForPromote(
  engine: Engine,
  ctx: EngineContext,
  inputs: PromoteInputs,
): Promise<Located> {
  const { rt, clients } = ctx;
  let target: EcsTarget;
  if (inputs.deploymentId) target = await readGivenEcsDeployment(ctx, inputs.deploymentId, inputs.aws.region);
  else {
    const found = await readEcsDeploymentInFlight(ctx, inputs.cluster, inputs.service as string);
    if (!found)
      throw new InputError(
        `service '${inputs.cluster}/${inputs.service}'`,
        'has no service deployment in flight (ListServiceDeployments PENDING/IN_PROGRESS): there is nothing to promote.',
        'Deploy first (wait-until: ready, with a PAUSE hook), or pass the deployment-id output of the deploy step.',
      );
    target = found;
  }
  const { arn, deployment } = target;
  const step = ecsPromoteStep(arn, deployment);
  const { follower, before } = await followerOf(engine, ctx, target, inputs.waitUntil);
  if (step.kind !== 'continue') return { id: arn, follower, step, before, from: 'rerouting' };
  const { hook } = step;
  // One promote, one pause: a pause hook other than the one continued ends the follow (see the header).
  follower.stopAt = (o) => pausedElsewhere(o, hook.hookId) !== undefined;
  return {
    id: arn,
    follower,
    before,
    from: 'rerouting',
    step: {
      kind: 'continue',
      what: `Pause hook ${hook.hookId}`,
      doing: `Continuing ${arn} from its pause hook ${hook.hookId} at ${deployment.lifecycleStage ?? '?'} (ContinueServiceDeployment CONTINUE): ${ecsConsoleUrl(arn)}`,
      note: `Promoted: pause hook ${hook.hookId} at ${deployment.lifecycleStage ?? '?'} continued on request.`,
      // When it fails and ECS shows the deployment ended or being undone (the hook timed out with ROLLBACK
      // just before), following it reports that as a failure seen live; any other failure fails the job.
      run: async () => {
        try {
          await continueServiceDeployment(clients.ecs, rt.clock, arn, hook.hookId, 'CONTINUE');
        } catch (error) {
          const after = await readServiceDeployment(clients.ecs, rt.clock, arn).catch(() => undefined);
          if (!after || (isEcsDeploymentInFlight(after.status) && !isRollingBack(after))) throw error;
          rt.info(`${errorMessage(error)} — ${arn} is ${after.status}.`);
        }
      },
    },
  };
}

export async function locateForRollback(
  engine: Engine,
  ctx: EngineContext,
  inputs: RollbackInputs,
): Promise<RollbackTarget> {
  if (inputs.deploymentId) {
    const given = await readGivenEcsDeployment(ctx, inputs.deploymentId, inputs.aws.region);
    if (isEcsDeploymentInFlight(given.deployment.status))
      return { kind: 'in-flight', id: given.arn, undo: () => stopInFlight(engine, ctx, inputs, given) };
    ctx.rt.info(`Service deployment ${given.arn} is ${given.deployment.status}; nothing in flight to stop.`);
    if (!inputs.service)
      throw new InputError(
        `service deployment ${given.arn}`,
        'is not in flight, so there is nothing to stop.',
        "To redeploy the previous revision instead, give 'service' (and 'cluster').",
      );
    return settled(engine, ctx, inputs, given.cluster, given.service, given);
  }
  const service = inputs.service as string;
  const inFlight = await readEcsDeploymentInFlight(ctx, inputs.cluster, service);
  if (inFlight)
    return { kind: 'in-flight', id: inFlight.arn, undo: () => stopInFlight(engine, ctx, inputs, inFlight) };
  return settled(engine, ctx, inputs, inputs.cluster, service);
}

/** StopServiceDeployment ROLLBACK (or a rollback already under way); the same deployment is followed back. */
async function stopInFlight(
  engine: Engine,
  ctx: EngineContext,
  inputs: RollbackInputs,
  target: EcsTarget,
): Promise<Undo> {
  const { rt } = ctx;
  const { arn, deployment } = target;
  const { follower } = await followerOf(engine, ctx, target, inputs.waitUntil, true);
  const { record } = follower;
  const rolledBack = record.taskDefinitionArn.startsWith('arn:') ? record.taskDefinitionArn : undefined;
  rt.info(`Service deployment ${arn}: ${describeEcsPosition(deployment)}. ${ecsConsoleUrl(arn)}`);
  if (isRollingBack(deployment) || deployment.status === 'STOP_REQUESTED') {
    rt.info(`${arn} is already being undone (${deployment.status}); following it.`);
    return { follower, stopped: true, status: deployment.status ?? '', rolledBack, outputs: {} };
  }
  rt.info(`Stopping ${arn} with rollback (StopServiceDeployment ROLLBACK).`);
  const stop = await stopWithRollback(
    { rt, steering: follower.steering, record },
    'on request (rollback action)',
    { refusalStatus: true },
  );
  if (!stop) {
    const text = isEcsDeploymentInFlight(record.status)
      ? `Could not stop ${arn}; see the notes and the console: ${ecsConsoleUrl(arn)}`
      : `${arn} ended ${record.status ?? '?'} before it could be stopped; nothing was rolled back.${record.status === 'SUCCESSFUL' ? ' Run the rollback again to redeploy the previous revision.' : ''}`;
    return { stopped: false, status: record.status ?? '', text, outputs: {} };
  }
  record.status = stop.status ?? 'ROLLBACK_REQUESTED';
  return { follower, stopped: true, status: record.status, rolledBack, outputs: {} };
}

/**
 * The revision before the one the service runs: the source revision of the newest SUCCESSFUL service
 * deployment that deployed what the service runs now, else the family's previous ACTIVE revision.
 */
export async function previousEcsRevision(
  ctx: EngineContext,
  cluster: string,
  service: string,
  current: string,
): Promise<{ arn: string; from: string } | undefined> {
  const { rt, clients } = ctx;
  const succeeded = await listServiceDeployments(clients.ecs, rt.clock, {
    cluster,
    service,
    status: ['SUCCESSFUL'],
  });
  const newest = [...succeeded].sort(
    (a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0),
  )[0];
  if (newest?.serviceDeploymentArn) {
    const arn = newest.serviceDeploymentArn;
    const d = await withRetries(rt.clock, () => describeServiceDeployment(clients.ecs, arn));
    const deployed = await revisionTaskDefinition(ctx, d.targetServiceRevision?.arn);
    const source = await revisionTaskDefinition(ctx, d.sourceServiceRevisions?.[0]?.arn);
    if (deployed.taskDefinition === current && source.taskDefinition && source.taskDefinition !== current)
      return { arn: source.taskDefinition, from: `the source revision of ${arn}` };
  }
  const arn = await previousRevision(clients.ecs, current);
  return arn ? { arn, from: "the family's previous ACTIVE revision" } : undefined;
}

/** Nothing in flight: what the service runs, the revision before it, and UpdateService with that. */
async function settled(
  engine: Engine,
  ctx: EngineContext,
  inputs: RollbackInputs,
  cluster: string,
  serviceName: string,
  ended?: EcsTarget,
): Promise<RollbackTarget> {
  const { rt, clients } = ctx;
  const service = await describeService(clients.ecs, cluster, serviceName);
  const current = service.taskDefinition;
  if (!current)
    throw new InputError(
      `service '${cluster}/${serviceName}'`,
      'runs no task definition: nothing to roll back.',
    );
  let endedInfo: Extract<RollbackTarget, { kind: 'settled' }>['ended'];
  if (ended) {
    const deployed = await revisionTaskDefinition(ctx, ended.deployment.targetServiceRevision?.arn);
    endedInfo = {
      id: ended.arn,
      status: ended.deployment.status ?? '',
      stillRuns: !deployed.taskDefinition || deployed.taskDefinition === current,
      deployed: deployed.taskDefinition,
    };
  }
  const redeploy = async (arn: string): Promise<Started> => {
    const started = await startServiceDeployment(
      clients.ecs,
      rt.clock,
      { cluster, service: serviceName, taskDefinitionArn: arn },
      (message) => rt.info(message),
      rt.signal,
    );
    const deployment = await withRetries(rt.clock, () => describeServiceDeployment(clients.ecs, started.arn));
    const target = { arn: started.arn, cluster, service: serviceName, deployment };
    const strategy = service.deploymentConfiguration?.strategy ?? strategyOf(deployment);
    const record = await recordOf(ctx, target, {
      region: inputs.aws.region,
      waitUntil: inputs.waitUntil,
      strategy,
    });
    record.startedAt = started.since;
    const follower = new EcsFollower(engine, ctx, record, {
      strategy,
      config: service.deploymentConfiguration,
    });
    return { follower, how: 'Started' };
  };
  return {
    kind: 'settled',
    ended: endedInfo,
    cluster,
    service: serviceName,
    current,
    previous: () => previousEcsRevision(ctx, cluster, serviceName, current),
    redeploy,
  };
}
