/**
 * The promote action: continue a deployment that CodeDeploy holds — in Ready (reroute production traffic
 * now: READY_WAIT) or in its termination wait (remove the original task set now: TERMINATION_WAIT) —
 * then follow it like the deploy action. This is the manual reroute of the CodeDeploy console, placed
 * behind whatever approval the job has (an environment with required reviewers).
 */
import {
  GetDeploymentGroupCommand,
  GetDeploymentTargetCommand,
  type CodeDeployClient,
  type DeploymentInfo,
  type ECSTarget,
} from '@aws-sdk/client-codedeploy';
import type { Runtime } from './runtime.js';
import { getPromoteInputs } from './inputs.js';
import { resolveCredentials } from './credentials.js';
import { continueDeployment, getDeployment } from './deployment-control.js';
import { readTrafficRouting } from './preflight.js';
import { consoleUrl, newDeploymentRecord } from './deployment-reporter.js';
import { describePosition, finishFollow, followTo, startFollow } from './follow.js';
import { trafficShiftMinutes } from './deployment-progress.js';
import { InputError } from './errors.js';
import { isAwsError, isUnsupportedOrDenied } from './aws-errors.js';
import type { AwsClients } from './aws-clients.js';

export interface DeploymentTargetInfo {
  cluster: string;
  service: string;
  targetId: string;
}

/** The ECS service a deployment deploys, from its deployment group. */
export async function deploymentService(
  codedeploy: CodeDeployClient,
  deployment: DeploymentInfo,
): Promise<DeploymentTargetInfo> {
  const response = await codedeploy.send(
    new GetDeploymentGroupCommand({
      applicationName: deployment.applicationName,
      deploymentGroupName: deployment.deploymentGroupName,
    }),
  );
  const service = response.deploymentGroupInfo?.ecsServices?.[0];
  if (!service?.clusterName || !service.serviceName) {
    throw new InputError(
      `deployment ${deployment.deploymentId}`,
      `belongs to group ${deployment.deploymentGroupName}, which serves no ECS service.`,
      'Promote and rollback work on ECS blue/green deployments.',
    );
  }
  return {
    cluster: service.clusterName,
    service: service.serviceName,
    targetId: `${service.clusterName}:${service.serviceName}`,
  };
}

export async function readEcsTarget(
  codedeploy: CodeDeployClient,
  deploymentId: string,
  targetId: string,
): Promise<ECSTarget | undefined> {
  try {
    const response = await codedeploy.send(new GetDeploymentTargetCommand({ deploymentId, targetId }));
    return response.deploymentTarget?.ecsTarget;
  } catch (error) {
    if (isAwsError(error, 'DeploymentNotStartedException')) return undefined;
    // Without the target, the deployment's own status decides (see promoteStep).
    if (isUnsupportedOrDenied(error)) return undefined;
    throw error;
  }
}

export type PromoteStep = 'READY_WAIT' | 'TERMINATION_WAIT' | 'already-succeeded';

/** Which wait to end, or why the deployment cannot be promoted now. */
export function promoteStep(deployment: DeploymentInfo, target: ECSTarget | undefined): PromoteStep {
  const id = deployment.deploymentId ?? '?';
  const status = deployment.status;
  if (status === 'Ready' || target?.status === 'Ready') return 'READY_WAIT';
  if (status === 'Succeeded') return 'already-succeeded';
  if (
    status === 'InProgress' &&
    (target?.status === 'Succeeded' || deployment.instanceTerminationWaitTimeStarted === true)
  )
    return 'TERMINATION_WAIT';
  if (status === 'Failed' || status === 'Stopped') {
    throw new InputError(`deployment ${id}`, `is ${status}; there is nothing to promote.`, 'Deploy again.');
  }
  const running = target?.lifecycleEvents?.find((e) => e.status === 'InProgress')?.lifecycleEventName;
  throw new InputError(
    `deployment ${id}`,
    `is ${status}${running ? ` (${running} in progress)` : ''}: it is neither waiting in Ready to reroute traffic nor in its termination wait.`,
    'Promote once the deploy step reports Ready (wait-until: ready), or after traffic has shifted. CodeDeploy cannot skip canary or linear intervals.',
  );
}

export async function runPromote(rt: Runtime): Promise<void> {
  const inputs = getPromoteInputs(rt.readInput, rt.env);
  const credentials = await resolveCredentials(inputs.aws, rt);
  const clients: AwsClients = rt.makeClients({ region: inputs.aws.region, credentials });
  const { codedeploy } = clients;

  const deployment = await getDeploymentOrExplain(codedeploy, rt, inputs.deploymentId);
  const where = await deploymentService(codedeploy, deployment);
  const target = await readEcsTarget(codedeploy, inputs.deploymentId, where.targetId);
  const step = promoteStep(deployment, target);
  rt.setOutput('codedeploy-deployment-id', inputs.deploymentId);
  const link = consoleUrl(inputs.aws.region, inputs.deploymentId);

  const routing = deployment.deploymentConfigName
    ? await readTrafficRouting(clients, deployment.deploymentConfigName)
    : undefined;
  const terminationWaitMinutes =
    deployment.blueGreenDeploymentConfiguration?.terminateBlueInstancesOnDeploymentSuccess
      ?.terminationWaitTimeInMinutes ?? 0;
  const greenTaskDefinition = target?.taskSetsInfo?.find((s) => s.taskSetLabel === 'Green')?.identifer;
  const record = newDeploymentRecord({
    deploymentId: inputs.deploymentId,
    region: inputs.aws.region,
    application: deployment.applicationName ?? '?',
    deploymentGroup: deployment.deploymentGroupName ?? '?',
    deploymentConfig: deployment.deploymentConfigName,
    cluster: where.cluster,
    service: where.service,
    taskDefinitionArn: greenTaskDefinition ? `task set ${greenTaskDefinition}` : '(see deployment)',
    images: [],
    waitUntil: inputs.waitUntil,
    startedAt: rt.clock.now(),
    status: deployment.status,
  });

  if (step === 'already-succeeded') {
    rt.info(`Deployment ${inputs.deploymentId} already succeeded; nothing to promote. ${link}`);
    record.verdict = 'succeeded';
    record.verdictText = `Deployment ${inputs.deploymentId} had already succeeded.`;
    rt.setOutput('deployment-status', 'Succeeded');
    await rt.writeSummary(`Deployment ${inputs.deploymentId} had already succeeded; nothing to promote.`);
    return;
  }
  if (step === 'READY_WAIT') {
    rt.info(
      `Rerouting production traffic to the replacement task set of ${inputs.deploymentId} (ContinueDeployment READY_WAIT): ${link}`,
    );
  } else {
    rt.info(
      `Ending the termination wait of ${inputs.deploymentId}: the original task set is removed now (ContinueDeployment TERMINATION_WAIT): ${link}`,
    );
  }
  record.notes.push(
    step === 'READY_WAIT'
      ? 'Promoted: production traffic rerouted on request.'
      : 'Promoted: termination wait ended on request.',
  );
  await continueDeployment(codedeploy, rt.clock, inputs.deploymentId, step);

  const follow = startFollow(rt, codedeploy, record, {
    targetId: where.targetId,
    routing,
    terminationWaitMinutes: step === 'TERMINATION_WAIT' ? 0 : terminationWaitMinutes,
    rollbackOnCancel: inputs.rollbackOnCancel,
    rollbackOnFailure: inputs.rollbackOnFailure,
  });
  // Where it stood before the promote: recorded for the summary and told in one line, not replayed
  // event by event as if it were happening now.
  const before = { at: rt.clock.now(), deployment, target };
  follow.reporter.absorb(before);
  follow.lastObservation = before;
  rt.info(`Before the promote: ${describePosition({ kind: 'reached', observation: before })}.`);
  const budget =
    inputs.waitForMinutes +
    (inputs.waitUntil === 'ready' || step === 'TERMINATION_WAIT' ? 0 : trafficShiftMinutes(routing)) +
    (inputs.waitUntil === 'succeeded' && step === 'READY_WAIT' ? terminationWaitMinutes : 0);
  try {
    await followTo(
      follow,
      inputs.waitUntil,
      rt.clock.now() + budget * 60_000,
      `The wait budget was ${budget} minutes.`,
    );
  } finally {
    await finishFollow(follow);
  }
}

export async function getDeploymentOrExplain(
  codedeploy: CodeDeployClient,
  rt: Runtime,
  deploymentId: string,
): Promise<DeploymentInfo> {
  try {
    return await getDeployment(codedeploy, rt.clock, deploymentId);
  } catch (error) {
    if (isAwsError(error, 'DeploymentDoesNotExistException', 'InvalidDeploymentIdException')) {
      throw new InputError(
        `deployment ${deploymentId}`,
        'does not exist in this account and region.',
        "Check 'deployment-id' and 'aws-region'.",
      );
    }
    throw error;
  }
}
