/**
 * The promote action: continue a deployment that CodeDeploy holds — in Ready (reroute production traffic
 * now: READY_WAIT) or in its termination wait (remove the original task set now: TERMINATION_WAIT) —
 * then follow it like the deploy action. This is the manual reroute of the CodeDeploy console, placed
 * behind whatever approval the job has (an environment with required reviewers). A service deployment
 * ARN, or a service with the ECS deployment controller, goes to promote-ecs.ts (continue its pause hook).
 */
import type { DeploymentInfo, ECSTarget } from '@aws-sdk/client-codedeploy';
import type { AwsClients, AwsRuntime } from '../aws/clients.js';
import { getPromoteInputs } from '../action/inputs.js';
import { resolveCredentials } from '../aws/credentials.js';
import {
  deploymentService,
  getDeploymentOrExplain,
  readDeploymentTarget,
  readTrafficRouting,
} from '../aws/codedeploy-reads.js';
import { consoleUrl } from '../aws/console-url.js';
import { continueDeployment, SteeringRefused, type ContinueResult } from '../engines/codedeploy/control.js';
import { taskSetWeights } from '../engines/codedeploy/progress.js';
import { addNote, setVerdict } from '../record/record.js';
import { InputError } from '../action/errors.js';
import { describeService } from '../aws/ecs-reads.js';
import { isServiceDeploymentArn } from '../engines/ecs/reads.js';
import { runEcsPromote } from './promote-ecs.js';
import { describePosition, followAndFinish, recordOfDeployment, startFollow } from './follow.js';

/** `already-ended`: Failed or Stopped before the promote; it is followed (and its failure reported), not continued. */
export type PromoteStep = 'READY_WAIT' | 'TERMINATION_WAIT' | 'already-succeeded' | 'already-ended';

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
  if (status === 'Failed' || status === 'Stopped') return 'already-ended';
  const running = target?.lifecycleEvents?.find((e) => e.status === 'InProgress')?.lifecycleEventName;
  throw new InputError(
    `deployment ${id}`,
    `is ${status}${running ? ` (${running} in progress)` : ''}: it is neither waiting in Ready to reroute traffic nor in its termination wait.`,
    'Promote once the deploy step reports Ready (wait-until: ready), or after traffic has shifted. CodeDeploy cannot skip canary or linear intervals.',
  );
}

export async function runPromote(rt: AwsRuntime): Promise<void> {
  const inputs = getPromoteInputs(rt.readInput, rt.env);
  const credentials = await resolveCredentials(inputs.aws, rt);
  const clients: AwsClients = rt.makeClients({ region: inputs.aws.region, credentials });
  const { codedeploy } = clients;
  // A service deployment ARN, or a service without deployment-id: the ECS deployment controller's path.
  if (inputs.deploymentId && isServiceDeploymentArn(inputs.deploymentId))
    return runEcsPromote(rt, inputs, clients, { arn: inputs.deploymentId });
  if (!inputs.deploymentId) {
    const service = await describeService(clients.ecs, inputs.cluster, inputs.service as string);
    const controller = service.deploymentController?.type ?? 'ECS';
    if (controller !== 'ECS')
      throw new InputError(
        `service '${inputs.cluster}/${inputs.service}'`,
        `uses the ${controller} deployment controller; promote by service is for the ECS deployment controller.`,
        "Pass the CodeDeploy deployment to promote as 'deployment-id' (the codedeploy-deployment-id output of the deploy step).",
      );
    return runEcsPromote(rt, inputs, clients, { cluster: inputs.cluster, service: inputs.service as string });
  }
  const deploymentId = inputs.deploymentId;

  const deployment = await getDeploymentOrExplain(codedeploy, rt.clock, inputs.deploymentId);
  const where = await deploymentService(codedeploy, deployment);
  // Without the target (not allowed, not there yet), the deployment's own status decides (promoteStep).
  const read = await readDeploymentTarget(codedeploy, inputs.deploymentId, where.targetId);
  const target = read.kind === 'target' ? read.target : undefined;
  const step = promoteStep(deployment, target);
  rt.setOutput('codedeploy-deployment-id', inputs.deploymentId);
  const link = consoleUrl(inputs.aws.region, inputs.deploymentId);

  const routing = deployment.deploymentConfigName
    ? await readTrafficRouting(codedeploy, deployment.deploymentConfigName)
    : undefined;
  const terminationWaitMinutes =
    deployment.blueGreenDeploymentConfiguration?.terminateBlueInstancesOnDeploymentSuccess
      ?.terminationWaitTimeInMinutes ?? 0;
  const greenTaskDefinition = taskSetWeights(target).find((w) => w.label === 'Green')?.id;
  const record = recordOfDeployment(deployment, where, {
    deploymentId: inputs.deploymentId,
    region: inputs.aws.region,
    taskDefinitionArn: greenTaskDefinition ? `task set ${greenTaskDefinition}` : '(see deployment)',
    waitUntil: inputs.waitUntil,
    startedAt: rt.clock.now(),
    status: deployment.status,
  });

  if (step === 'already-succeeded') {
    rt.info(`Deployment ${inputs.deploymentId} already succeeded; nothing to promote. ${link}`);
    setVerdict(record, 'succeeded', `Deployment ${inputs.deploymentId} had already succeeded.`);
    rt.setOutput('deployment-status', 'Succeeded');
    await rt.writeSummary(`Deployment ${inputs.deploymentId} had already succeeded; nothing to promote.`);
    return;
  }
  if (step === 'already-ended') {
    // A failure first seen after the fact is reported as one seen live: its failed event, diagnostics and rollback.
    rt.info(
      `Deployment ${inputs.deploymentId} is ${deployment.status}; there is nothing to promote. ${link}`,
    );
  } else if (step === 'READY_WAIT') {
    rt.info(
      `Rerouting production traffic to the replacement task set of ${inputs.deploymentId} (ContinueDeployment READY_WAIT): ${link}`,
    );
  } else {
    rt.info(
      `Ending the termination wait of ${inputs.deploymentId}: the original task set is removed now (ContinueDeployment TERMINATION_WAIT): ${link}`,
    );
  }
  if (step !== 'already-ended') {
    addNote(
      record,
      step === 'READY_WAIT'
        ? 'Promoted: production traffic rerouted on request.'
        : 'Promoted: termination wait ended on request.',
    );
    await continueOrFollow(rt, () => continueDeployment(codedeploy, rt.clock, deploymentId, step));
  }

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
  await followAndFinish(follow, inputs.waitUntil, {
    waitForMinutes: inputs.waitForMinutes,
    from: step === 'TERMINATION_WAIT' ? 'terminating' : 'rerouting',
    routing,
    terminationWaitMinutes,
  });
}

/**
 * The continue; when its answer went wrong and CodeDeploy shows the deployment ended (failed, stopped,
 * the ready wait expired), following it reports that as a failure seen live; a refusal with the
 * deployment still waiting fails the job with what CodeDeploy shows.
 */
async function continueOrFollow(rt: AwsRuntime, call: () => Promise<ContinueResult>): Promise<void> {
  try {
    const result = await call();
    if (result.note) rt.info(result.note);
  } catch (error) {
    if (!(error instanceof SteeringRefused) || !error.final) throw error;
    rt.warning(error.message);
  }
}
