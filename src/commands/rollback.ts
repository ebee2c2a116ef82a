/**
 * The rollback action. With a deployment in flight (given by id, or the active one of the service's
 * group): stop it with rollback and follow CodeDeploy's rollback deployment. With nothing in flight:
 * deploy the previous task definition revision through a new CodeDeploy deployment. Optionally
 * deregister the revision that was rolled back. A service deployment ARN, or a service with the ECS
 * deployment controller, goes to rollback-ecs.ts (StopServiceDeployment ROLLBACK, or UpdateService).
 */
import {
  GetApplicationRevisionCommand,
  GetDeploymentGroupCommand,
  type CodeDeployClient,
  type DeploymentInfo,
  type RevisionLocation,
} from '@aws-sdk/client-codedeploy';
import { DeregisterTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import type { AwsClients, AwsRuntime } from '../aws/clients.js';
import { getRollbackInputs, type RollbackInputs } from '../action/inputs.js';
import { resolveCredentials } from '../aws/credentials.js';
import { isAwsError } from '../aws/errors.js';
import {
  deploymentService,
  findActiveDeployment,
  getDeploymentOrExplain,
  isDeploymentInFlight,
  readDeploymentTarget,
  readTrafficRouting,
} from '../aws/codedeploy-reads.js';
import { trafficNeverMoved } from '../engines/codedeploy/progress.js';
import { rollbackSearchMs } from '../engines/codedeploy/wait-budget.js';
import { describeService, previousRevision, runningTaskDefinitionArn } from '../aws/ecs-reads.js';
import { consoleUrl } from '../aws/console-url.js';
import { findRollbackDeployment, stopDeployment } from '../engines/codedeploy/control.js';
import { createDeployment } from '../engines/codedeploy/creator.js';
import { appSpecTarget, generateAppSpec, parseAppSpec, type AppSpecDocument } from '../engines/codedeploy/appspec.js';
import { addNote, newDeploymentRecord } from '../record/record.js';
import { DeploymentError, InputError, errorMessage } from '../action/errors.js';
import { followAndFinish, recordOfDeployment, reportEndedDeployment, startFollow } from './follow.js';
import { isServiceDeploymentArn } from '../engines/ecs/reads.js';
import { runEcsRollback } from './rollback-ecs.js';

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

export async function runRollback(rt: AwsRuntime): Promise<void> {
  const inputs = getRollbackInputs(rt.readInput, rt.env);
  const credentials = await resolveCredentials(inputs.aws, rt);
  const clients = rt.makeClients({ region: inputs.aws.region, credentials });
  const ecsWhere = await ecsControlled(clients, inputs);
  if (ecsWhere) {
    const rolledBack = await runEcsRollback(rt, inputs, clients, ecsWhere);
    if (rolledBack) await maybeDeregister(rt, clients.ecs, inputs, rolledBack);
    return;
  }

  let inFlight: DeploymentInfo | undefined;
  let ended: DeploymentInfo | undefined;
  if (inputs.deploymentId) {
    const given = await getDeploymentOrExplain(clients.codedeploy, rt.clock, inputs.deploymentId);
    if (isDeploymentInFlight(given.status)) inFlight = given;
    else {
      rt.info(`Deployment ${inputs.deploymentId} is ${given.status}; nothing in flight to stop.`);
      ended = given;
      await reportEndedDeployment(rt, clients.codedeploy, given, inputs.aws.region, 'warning');
    }
    inputs.application ??= given.applicationName;
    inputs.deploymentGroup ??= given.deploymentGroupName;
  } else if (inputs.application && inputs.deploymentGroup) {
    const activeId = await findActiveDeployment(
      clients.codedeploy,
      inputs.application,
      inputs.deploymentGroup,
    ).catch((error: unknown) => {
      if (isAwsError(error, 'ApplicationDoesNotExistException', 'DeploymentGroupDoesNotExistException')) {
        const what = isAwsError(error, 'ApplicationDoesNotExistException')
          ? `CodeDeploy application '${inputs.application}'`
          : `CodeDeploy deployment group '${inputs.application}/${inputs.deploymentGroup}'`;
        throw new InputError(
          what,
          'does not exist in this account and region.',
          "Check the 'service' and 'cluster' inputs (the defaults are AppECS-<cluster>-<service> / DgpECS-<cluster>-<service>), or set 'codedeploy-application' and 'codedeploy-deployment-group'.",
        );
      }
      throw error;
    });
    if (activeId) inFlight = await getDeploymentOrExplain(clients.codedeploy, rt.clock, activeId);
  }
  if (inFlight) return stopInFlight(rt, clients, inputs, inFlight);
  if (inputs.deploymentId && !inputs.service) {
    throw new InputError(
      `deployment ${inputs.deploymentId}`,
      'is not in flight, so there is nothing to stop.',
      "To redeploy the previous revision instead, give 'service' (and 'cluster').",
    );
  }
  return redeployPrevious(rt, clients, inputs, ended);
}

/**
 * The ECS deployment controller's path (rollback-ecs.ts): a service deployment ARN, or a service whose
 * controller is ECS (unless a CodeDeploy application or group is named). Undefined: the CodeDeploy path.
 */
async function ecsControlled(
  clients: AwsClients,
  inputs: RollbackInputs,
): Promise<{ arn: string } | { cluster: string; service: string } | undefined> {
  if (inputs.deploymentId)
    return isServiceDeploymentArn(inputs.deploymentId) ? { arn: inputs.deploymentId } : undefined;
  if (!inputs.service || inputs.codeDeployNamed) return undefined;
  const service = await describeService(clients.ecs, inputs.cluster, inputs.service);
  return (service.deploymentController?.type ?? 'ECS') === 'ECS'
    ? { cluster: inputs.cluster, service: inputs.service }
    : undefined;
}

async function stopInFlight(
  rt: AwsRuntime,
  clients: AwsClients,
  inputs: RollbackInputs,
  deployment: DeploymentInfo,
): Promise<void> {
  const id = deployment.deploymentId as string;
  const where = await deploymentService(clients.codedeploy, deployment);
  rt.setOutput('codedeploy-deployment-id', id);
  rt.info(
    `Stopping deployment ${id} (${deployment.status}) with rollback: ${consoleUrl(inputs.aws.region, id)}`,
  );
  const rolledBack = await revisionTaskDefinition(
    clients.codedeploy,
    deployment.applicationName,
    deployment.revision,
  );
  const stop = await stopDeployment(clients.codedeploy, rt.clock, id, true);
  rt.info(`StopDeployment: ${stop.status ?? ''} ${stop.message}`.trim());
  // CodeDeploy may name the rollback well after StopDeployment answers: look as long as the wait allows.
  const withinMs = rollbackSearchMs(rt.clock.now() + inputs.waitForMinutes * 60_000, rt.clock.now());
  const { rollbackDeploymentId, deployment: stopped } = await findRollbackDeployment(
    clients.codedeploy,
    rt.clock,
    id,
    withinMs,
  );
  // It ended on its own before the stop (first seen final): its failure is told as if seen live.
  if (!stop.stopped)
    await reportEndedDeployment(rt, clients.codedeploy, stopped, inputs.aws.region, 'warning');
  if (!rollbackDeploymentId) {
    rt.setOutput('deployment-status', stopped.status ?? 'Stopped');
    if (isDeploymentInFlight(stopped.status)) {
      throw new DeploymentError(
        `CodeDeploy still shows ${id} ${stopped.status} ${Math.round(withinMs / 60_000)} min after StopDeployment and has named no rollback deployment yet; follow it in the console: ${consoleUrl(inputs.aws.region, id)}`,
      );
    }
    const read = await readDeploymentTarget(clients.codedeploy, id, where.targetId).catch(() => undefined);
    const never = trafficNeverMoved(read?.kind === 'target' ? read.target : undefined);
    rt.info(
      `Deployment ${id} is ${stopped.status}; CodeDeploy started no rollback deployment${never ? ' (AllowTraffic never ran: production traffic had not moved to the replacement)' : `; CodeDeploy's final state does not show whether production traffic had moved: check the service's listeners (${consoleUrl(inputs.aws.region, id)})`}.`,
    );
    await rt.writeSummary(
      `## 🛑 Stopped ${id}\n\nStopped with rollback; no rollback deployment was needed (status ${stopped.status}).\n`,
    );
    await maybeDeregister(rt, clients.ecs, inputs, rolledBack?.arn);
    return;
  }
  rt.setOutput('rollback-deployment-id', rollbackDeploymentId);
  rt.setOutput('deployment-status', stopped.status ?? 'Stopped');
  const record = recordOfDeployment(deployment, where, {
    deploymentId: rollbackDeploymentId,
    region: inputs.aws.region,
    taskDefinitionArn: '(the original task set)',
    waitUntil: inputs.waitUntil,
    startedAt: rt.clock.now(),
    status: 'Created',
  });
  record.isRollback = true;
  addNote(record, `Rollback of ${id}${rolledBack ? ` (${rolledBack.arn})` : ''}.`);
  const follow = startFollow(rt, clients.codedeploy, record, {
    targetId: where.targetId,
    terminationWaitMinutes: 0,
    rollbackOnCancel: false,
    rollbackOnFailure: false,
    statusOutput: 'rollback-status',
  });
  await followAndFinish(follow, inputs.waitUntil, {
    waitForMinutes: inputs.waitForMinutes,
    from: 'rollback',
    terminationWaitMinutes: 0,
  });
  await maybeDeregister(rt, clients.ecs, inputs, rolledBack?.arn);
}

/**
 * Nothing in flight: deploy the revision before the one the service runs. Given a deployment that has
 * ended, only when the service still runs that deployment's revision — after CodeDeploy rolled it back
 * (or it never shifted traffic), production already runs what it ran before, and going back one more
 * revision would roll back too far.
 */
async function redeployPrevious(
  rt: AwsRuntime,
  clients: AwsClients,
  inputs: RollbackInputs,
  ended?: DeploymentInfo,
): Promise<void> {
  const application = inputs.application as string;
  const group = inputs.deploymentGroup as string;
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
  if (ended) {
    const deployed = await revisionTaskDefinition(clients.codedeploy, application, ended.revision);
    if (deployed && deployed.arn !== current) {
      rt.info(
        `Service ${cluster}/${serviceName} runs ${current}, not ${deployed.arn} that deployment ${ended.deploymentId} deployed (it ended ${ended.status}): nothing to roll back.`,
      );
      rt.setOutput('deployment-status', ended.status ?? '');
      rt.setOutput('task-definition-arn', current);
      await rt.writeSummary(
        `## ↩️ Nothing to roll back\n\nDeployment ${ended.deploymentId} ended ${ended.status}; service \`${cluster}/${serviceName}\` runs \`${current}\`, not the revision it deployed.\n`,
      );
      return;
    }
  }

  // Prefer the AppSpec CodeDeploy deployed before the current one; else the family's previous revision.
  let previous: { arn: string; appSpec?: AppSpecDocument } | undefined;
  const lastId = groupInfo?.lastSuccessfulDeployment?.deploymentId;
  if (lastId) {
    const last = await getDeploymentOrExplain(clients.codedeploy, rt.clock, lastId);
    const found = await revisionTaskDefinition(clients.codedeploy, application, last.previousRevision);
    if (found && found.arn !== current) previous = found;
  }
  if (!previous) {
    const arn = await previousRevision(clients.ecs, current);
    if (arn) previous = { arn };
  }
  if (!previous) {
    throw new InputError(
      `service '${cluster}/${serviceName}'`,
      `runs ${current} and no earlier ACTIVE revision of its family exists.`,
      'There is nothing to roll back to.',
    );
  }
  rt.info(
    `Nothing in flight: redeploying the previous revision ${previous.arn} (the service runs ${current}).`,
  );
  const appSpec =
    previous.appSpec ??
    generateAppSpec({
      taskDefinitionArn: previous.arn,
      containerName: service.loadBalancers?.[0]?.containerName,
      containerPort: service.loadBalancers?.[0]?.containerPort,
      service,
    });
  const created = await createDeployment(clients.codedeploy, {
    application,
    deploymentGroup: group,
    description: `Rollback of ${serviceName} from ${current} to ${previous.arn}`,
    appSpec,
    taskDefinitionArn: previous.arn,
    region: inputs.aws.region,
  }).catch((error: unknown) => {
    throw new DeploymentError(`Could not create the rollback deployment: ${errorMessage(error)}`);
  });
  rt.setOutput('codedeploy-deployment-id', created.deploymentId);
  rt.setOutput('task-definition-arn', previous.arn);
  rt.info(
    `Created rollback deployment ${created.deploymentId}: ${consoleUrl(inputs.aws.region, created.deploymentId)}`,
  );

  const routing = groupInfo?.deploymentConfigName
    ? await readTrafficRouting(clients.codedeploy, groupInfo.deploymentConfigName)
    : undefined;
  const terminationWaitMinutes =
    groupInfo?.blueGreenDeploymentConfiguration?.terminateBlueInstancesOnDeploymentSuccess
      ?.terminationWaitTimeInMinutes ?? 0;
  const record = newDeploymentRecord({
    deploymentId: created.deploymentId,
    region: inputs.aws.region,
    application,
    deploymentGroup: group,
    deploymentConfig: groupInfo?.deploymentConfigName,
    cluster,
    service: serviceName,
    taskDefinitionArn: previous.arn,
    images: [],
    waitUntil: inputs.waitUntil,
    startedAt: rt.clock.now(),
    status: 'Created',
  });
  addNote(record, `Redeployed ${previous.arn} in place of ${current}.`);
  const follow = startFollow(rt, clients.codedeploy, record, {
    targetId: `${cluster}:${serviceName}`,
    routing,
    terminationWaitMinutes,
    rollbackOnCancel: true,
    rollbackOnFailure: true,
  });
  await followAndFinish(follow, inputs.waitUntil, {
    waitForMinutes: inputs.waitForMinutes,
    from: 'start',
    routing,
    terminationWaitMinutes,
  });
  await maybeDeregister(rt, clients.ecs, inputs, current);
}

async function maybeDeregister(
  rt: AwsRuntime,
  ecs: ECSClient,
  inputs: RollbackInputs,
  arn: string | undefined,
): Promise<void> {
  if (!inputs.deregisterRolledBackRevision) return;
  if (!arn) {
    rt.warning(
      'deregister-rolled-back-revision: the rolled-back revision could not be determined; nothing deregistered.',
    );
    return;
  }
  await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
  rt.info(`Deregistered ${arn}.`);
  rt.setOutput('deregistered-task-definition-arn', arn);
}
