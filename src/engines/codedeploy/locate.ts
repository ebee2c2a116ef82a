/**
 * The CodeDeploy deployment promote and rollback act on (src/engine/engine.ts Located, RollbackTarget):
 * - promote: the deployment by id, and which wait a continue ends — Ready (reroute production traffic now:
 *   READY_WAIT) or the termination wait (remove the original task set now: TERMINATION_WAIT);
 * - rollback: a deployment in flight (by id, or the group's active one) is stopped with rollback and
 *   CodeDeploy's rollback deployment is what is followed; with nothing in flight, the revision before the
 *   one the service runs (the AppSpec CodeDeploy deployed before, else the family's previous revision) is
 *   deployed through a new CodeDeploy deployment.
 */
import {
  GetApplicationRevisionCommand,
  GetDeploymentGroupCommand,
  type CodeDeployClient,
  type DeploymentInfo,
  type ECSTarget,
  type RevisionLocation,
} from '@aws-sdk/client-codedeploy';
import type { PromoteInputs, RollbackInputs } from '../../action/inputs.js';
import { DeploymentError, InputError, errorMessage } from '../../action/errors.js';
import {
  deploymentService,
  findActiveDeployment,
  getDeploymentOrExplain,
  isDeploymentInFlight,
  readDeploymentTarget,
  readTrafficRouting,
} from '../../aws/codedeploy-reads.js';
import { describeService, previousRevision, runningTaskDefinitionArn } from '../../aws/ecs-reads.js';
import { isAwsError } from '../../aws/errors.js';
import type {
  Engine,
  EngineContext,
  Located,
  PromoteStep,
  RollbackTarget,
  Started,
  Undo,
} from '../../engine/engine.js';
import { newCodeDeployPart, newDeploymentRecord } from '../../record/record.js';
import { appSpecTarget, generateAppSpec, parseAppSpec, type AppSpecDocument } from './appspec.js';
import { continueDeployment, findRollbackDeployment, SteeringRefused, stopDeployment } from './control.js';
import { createDeployment } from './create.js';
import { recordOfDeployment, reportEndedDeployment } from './ended.js';
import { CodeDeployFollower } from './follower.js';
import { taskSetWeights, trafficNeverMoved } from './progress.js';
import { codeDeploySteering } from './steering.js';
import { rollbackSearchMs } from './wait-budget.js';

/** `already-ended`: Failed or Stopped before the promote; it is reported as a failure, not continued. */
export type CodeDeployPromoteStep = 'READY_WAIT' | 'TERMINATION_WAIT' | 'already-succeeded' | 'already-ended';

/** Which wait to end, or why the deployment cannot be promoted now. */
export function promoteStep(
  deployment: DeploymentInfo,
  target: ECSTarget | undefined,
): CodeDeployPromoteStep {
  const id = deployment.deploymentId ?? '?';
  const status = deployment.status;
  if (status === 'Ready' || target?.status === 'Ready') return 'READY_WAIT';
  if (status === 'Succeeded') return 'already-succeeded';
  if (
    status === 'InProgress' &&
    (target?.status === 'Succeeded' || deployment.instanceTerminationWaitTimeStarted === true)
  )
    return 'TERMINATION_WAIT';
  if (status === 'Failed' || status === 'Stopped') return 'already-ended';
  const running = target?.lifecycleEvents?.find((e) => e.status === 'InProgress')?.lifecycleEventName;
  throw new InputError(
    `deployment ${id}`,
    `is ${status}${running ? ` (${running} in progress)` : ''}: it is neither waiting in Ready to reroute traffic nor in its termination wait.`,
    'Promote once the deploy step reports Ready (wait-until: ready), or after traffic has shifted. CodeDeploy cannot skip canary or linear intervals.',
  );
}

function terminationWaitOf(deployment: DeploymentInfo | undefined): number {
  return (
    deployment?.blueGreenDeploymentConfiguration?.terminateBlueInstancesOnDeploymentSuccess
      ?.terminationWaitTimeInMinutes ?? 0
  );
}

export async function locateForPromote(
  engine: Engine,
  ctx: EngineContext,
  inputs: PromoteInputs,
): Promise<Located> {
  const { rt, clients } = ctx;
  const { codedeploy } = clients;
  if (!inputs.deploymentId) {
    throw new InputError(
      `service '${inputs.cluster}/${inputs.service}'`,
      'uses the CODE_DEPLOY deployment controller; promote by service is for the ECS deployment controller.',
      "Pass the CodeDeploy deployment to promote as 'deployment-id' (the deployment-id output of the deploy step).",
    );
  }
  const id = inputs.deploymentId;
  const deployment = await getDeploymentOrExplain(codedeploy, rt.clock, id);
  const where = await deploymentService(codedeploy, deployment);
  // Without the target (not allowed, not there yet), the deployment's own status decides (promoteStep).
  const read = await readDeploymentTarget(codedeploy, id, where.targetId);
  const target = read.kind === 'target' ? read.target : undefined;
  const step = promoteStep(deployment, target);
  const routing = deployment.deploymentConfigName
    ? await readTrafficRouting(codedeploy, deployment.deploymentConfigName)
    : undefined;
  const greenTaskDefinition = taskSetWeights(target).find((w) => w.label === 'Green')?.id;
  const record = recordOfDeployment(deployment, where, {
    deploymentId: id,
    region: inputs.aws.region,
    taskDefinitionArn: greenTaskDefinition ? `task set ${greenTaskDefinition}` : '(see deployment)',
    waitUntil: inputs.waitUntil,
    startedAt: rt.clock.now(),
    status: deployment.status,
  });
  const steering = codeDeploySteering(codedeploy, rt.clock, inputs.aws.region);
  const follower = new CodeDeployFollower(engine, ctx, record, {
    targetId: where.targetId,
    routing,
    terminationWaitMinutes: step === 'TERMINATION_WAIT' ? 0 : terminationWaitOf(deployment),
  });
  // Where it stood before the promote: recorded for the summary, not replayed as if it were happening now.
  const before = { at: rt.clock.now(), deployment, target };
  follower.absorb(before);
  const link = steering.consoleUrl(id);
  let promote: PromoteStep;
  if (step === 'already-succeeded') promote = { kind: 'already-succeeded' };
  else if (step === 'already-ended') promote = { kind: 'already-ended' };
  else
    promote = {
      kind: 'continue',
      what: step === 'READY_WAIT' ? 'Ready' : 'The termination wait',
      doing:
        step === 'READY_WAIT'
          ? `Rerouting production traffic to the replacement task set of ${id} (ContinueDeployment READY_WAIT): ${link}`
          : `Ending the termination wait of ${id}: the original task set is removed now (ContinueDeployment TERMINATION_WAIT): ${link}`,
      note:
        step === 'READY_WAIT'
          ? 'Promoted: production traffic rerouted on request.'
          : 'Promoted: termination wait ended on request.',
      // When the continue's answer went wrong and CodeDeploy shows the deployment ended (failed, stopped,
      // the ready wait expired), following it reports that as a failure seen live.
      run: async () => {
        try {
          const result = await continueDeployment(codedeploy, rt.clock, id, step);
          if (result.note) rt.info(result.note);
        } catch (error) {
          if (!(error instanceof SteeringRefused) || !error.final) throw error;
          rt.warning(error.message);
        }
      },
    };
  return {
    id,
    follower,
    step: promote,
    before,
    from: step === 'TERMINATION_WAIT' ? 'terminating' : 'rerouting',
  };
}

/** The task definition ARN an AppSpecContent revision deployed, when CodeDeploy still has the content. */
export async function revisionTaskDefinition(
  codedeploy: CodeDeployClient,
  applicationName: string | undefined,
  revision: RevisionLocation | undefined,
): Promise<{ arn: string; appSpec: AppSpecDocument } | undefined> {
  if (!revision || !applicationName) return undefined;
  try {
    const response = await codedeploy.send(new GetApplicationRevisionCommand({ applicationName, revision }));
    const content = response.revision?.appSpecContent?.content ?? response.revision?.string?.content;
    if (!content) return undefined;
    const appSpec = parseAppSpec(content, 'the deployed AppSpec');
    const arn = appSpecTarget(appSpec).taskDefinition;
    return arn ? { arn, appSpec } : undefined;
  } catch {
    return undefined;
  }
}

export async function locateForRollback(
  engine: Engine,
  ctx: EngineContext,
  inputs: RollbackInputs,
): Promise<RollbackTarget> {
  const { rt, clients } = ctx;
  let application = inputs.application;
  let group = inputs.deploymentGroup;
  let inFlight: DeploymentInfo | undefined;
  let ended: DeploymentInfo | undefined;
  if (inputs.deploymentId) {
    const given = await getDeploymentOrExplain(clients.codedeploy, rt.clock, inputs.deploymentId);
    if (isDeploymentInFlight(given.status)) inFlight = given;
    else {
      rt.info(`Deployment ${inputs.deploymentId} is ${given.status}; nothing in flight to stop.`);
      ended = given;
      await reportEndedDeployment(ctx, given, 'warning');
    }
    application ??= given.applicationName;
    group ??= given.deploymentGroupName;
  } else if (application && group) {
    const activeId = await findActiveDeployment(clients.codedeploy, application, group).catch(
      (error: unknown) => {
        if (isAwsError(error, 'ApplicationDoesNotExistException', 'DeploymentGroupDoesNotExistException')) {
          const what = isAwsError(error, 'ApplicationDoesNotExistException')
            ? `CodeDeploy application '${application}'`
            : `CodeDeploy deployment group '${application}/${group}'`;
          throw new InputError(
            what,
            'does not exist in this account and region.',
            "Check the 'service' and 'cluster' inputs (the defaults are AppECS-<cluster>-<service> / DgpECS-<cluster>-<service>), or set 'codedeploy-application' and 'codedeploy-deployment-group'.",
          );
        }
        throw error;
      },
    );
    if (activeId) inFlight = await getDeploymentOrExplain(clients.codedeploy, rt.clock, activeId);
  }
  if (inFlight) {
    const deployment = inFlight;
    const id = deployment.deploymentId as string;
    return { kind: 'in-flight', id, undo: () => stopInFlight(engine, ctx, inputs, deployment) };
  }
  if (inputs.deploymentId && !inputs.service)
    throw new InputError(
      `deployment ${inputs.deploymentId}`,
      'is not in flight, so there is nothing to stop.',
      "To redeploy the previous revision instead, give 'service' (and 'cluster').",
    );
  return settled(engine, ctx, inputs, application as string, group as string, ended);
}

/**
 * StopDeployment with rollback, then CodeDeploy's rollback deployment: looked for as long as the wait allows
 * (it may be named well after StopDeployment answers) and returned to be followed.
 */
async function stopInFlight(
  engine: Engine,
  ctx: EngineContext,
  inputs: RollbackInputs,
  deployment: DeploymentInfo,
): Promise<Undo> {
  const { rt, clients } = ctx;
  const id = deployment.deploymentId as string;
  const steering = codeDeploySteering(clients.codedeploy, rt.clock, inputs.aws.region);
  const where = await deploymentService(clients.codedeploy, deployment);
  rt.info(`Stopping deployment ${id} (${deployment.status}) with rollback: ${steering.consoleUrl(id)}`);
  const rolledBack = await revisionTaskDefinition(
    clients.codedeploy,
    deployment.applicationName,
    deployment.revision,
  );
  const stop = await stopDeployment(clients.codedeploy, rt.clock, id, true);
  rt.info(`StopDeployment: ${stop.status ?? ''} ${stop.message}`.trim());
  const withinMs = rollbackSearchMs(rt.clock.now() + inputs.waitForMinutes * 60_000, rt.clock.now());
  const { rollbackDeploymentId, deployment: stopped } = await findRollbackDeployment(
    clients.codedeploy,
    rt.clock,
    id,
    withinMs,
  );
  // It ended on its own before the stop (first seen final): its failure is told as if seen live.
  if (!stop.stopped) await reportEndedDeployment(ctx, stopped, 'warning');
  const status = stopped.status ?? 'Stopped';
  if (!rollbackDeploymentId) {
    if (isDeploymentInFlight(stopped.status))
      throw new DeploymentError(
        `CodeDeploy still shows ${id} ${stopped.status} ${Math.round(withinMs / 60_000)} min after StopDeployment and has named no rollback deployment yet; follow it in the console: ${steering.consoleUrl(id)}`,
      );
    const read = await readDeploymentTarget(clients.codedeploy, id, where.targetId).catch(() => undefined);
    const never = trafficNeverMoved(read?.kind === 'target' ? read.target : undefined);
    return {
      stopped: true,
      status,
      text: `Deployment ${id} is ${status}; CodeDeploy started no rollback deployment${never ? ' (AllowTraffic never ran: production traffic had not moved to the replacement)' : `; CodeDeploy's final state does not show whether production traffic had moved: check the service's listeners (${steering.consoleUrl(id)})`}.`,
      rolledBack: rolledBack?.arn,
      outputs: {},
    };
  }
  const record = recordOfDeployment(
    deployment,
    where,
    {
      deploymentId: rollbackDeploymentId,
      region: inputs.aws.region,
      taskDefinitionArn: '(the original task set)',
      waitUntil: inputs.waitUntil,
      startedAt: rt.clock.now(),
      status: 'Created',
    },
    true,
  );
  const follower = new CodeDeployFollower(engine, ctx, record, {
    targetId: where.targetId,
    terminationWaitMinutes: 0,
  });
  return {
    follower,
    stopped: true,
    status,
    note: `Rollback of ${id}${rolledBack ? ` (${rolledBack.arn})` : ''}.`,
    rolledBack: rolledBack?.arn,
    outputs: { 'rollback-deployment-id': rollbackDeploymentId },
  };
}

/** Nothing in flight: what the service runs, the revision before it, and a new deployment of that. */
async function settled(
  engine: Engine,
  ctx: EngineContext,
  inputs: RollbackInputs,
  application: string,
  group: string,
  ended: DeploymentInfo | undefined,
): Promise<RollbackTarget> {
  const { rt, clients } = ctx;
  const groupInfo = (
    await clients.codedeploy.send(
      new GetDeploymentGroupCommand({ applicationName: application, deploymentGroupName: group }),
    )
  ).deploymentGroupInfo;
  const ecsService = groupInfo?.ecsServices?.[0];
  const cluster = ecsService?.clusterName ?? inputs.cluster;
  const serviceName = ecsService?.serviceName ?? (inputs.service as string);
  const service = await describeService(clients.ecs, cluster, serviceName);
  const current = runningTaskDefinitionArn(service);
  if (!current)
    throw new InputError(
      `service '${cluster}/${serviceName}'`,
      'runs no task definition.',
      'Nothing to roll back.',
    );
  let endedInfo: Extract<RollbackTarget, { kind: 'settled' }>['ended'];
  if (ended) {
    const deployed = await revisionTaskDefinition(clients.codedeploy, application, ended.revision);
    endedInfo = {
      id: ended.deploymentId ?? '?',
      status: ended.status ?? '',
      stillRuns: !deployed || deployed.arn === current,
      deployed: deployed?.arn,
    };
  }
  // Prefer the AppSpec CodeDeploy deployed before the current one; else the family's previous revision.
  let previousAppSpec: AppSpecDocument | undefined;
  const previous = async (): Promise<{ arn: string; from: string } | undefined> => {
    const lastId = groupInfo?.lastSuccessfulDeployment?.deploymentId;
    if (lastId) {
      const last = await getDeploymentOrExplain(clients.codedeploy, rt.clock, lastId);
      const found = await revisionTaskDefinition(clients.codedeploy, application, last.previousRevision);
      if (found && found.arn !== current) {
        previousAppSpec = found.appSpec;
        return { arn: found.arn, from: `the AppSpec deployed before ${lastId}` };
      }
    }
    const arn = await previousRevision(clients.ecs, current);
    return arn ? { arn, from: "the family's previous ACTIVE revision" } : undefined;
  };
  const redeploy = async (arn: string): Promise<Started> => {
    const appSpec =
      previousAppSpec ??
      generateAppSpec({
        taskDefinitionArn: arn,
        containerName: service.loadBalancers?.[0]?.containerName,
        containerPort: service.loadBalancers?.[0]?.containerPort,
        service,
      });
    const created = await createDeployment(clients.codedeploy, {
      application,
      deploymentGroup: group,
      description: `Rollback of ${serviceName} from ${current} to ${arn}`,
      appSpec,
      taskDefinitionArn: arn,
      region: inputs.aws.region,
    }).catch((error: unknown) => {
      throw new DeploymentError(`Could not create the rollback deployment: ${errorMessage(error)}`);
    });
    const routing = groupInfo?.deploymentConfigName
      ? await readTrafficRouting(clients.codedeploy, groupInfo.deploymentConfigName)
      : undefined;
    const record = newDeploymentRecord({
      engine: 'codedeploy',
      deploymentId: created.deploymentId,
      region: inputs.aws.region,
      cluster,
      service: serviceName,
      taskDefinitionArn: arn,
      images: [],
      waitUntil: inputs.waitUntil,
      startedAt: rt.clock.now(),
      status: 'Created',
      codedeploy: newCodeDeployPart({
        application,
        deploymentGroup: group,
        deploymentConfig: groupInfo?.deploymentConfigName,
      }),
    });
    const follower = new CodeDeployFollower(engine, ctx, record, {
      targetId: `${cluster}:${serviceName}`,
      routing,
      terminationWaitMinutes:
        groupInfo?.blueGreenDeploymentConfiguration?.terminateBlueInstancesOnDeploymentSuccess
          ?.terminationWaitTimeInMinutes ?? 0,
    });
    return { follower, how: 'Created' };
  };
  return { kind: 'settled', ended: endedInfo, cluster, service: serviceName, current, previous, redeploy };
}
