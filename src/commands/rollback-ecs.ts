/**
 * The rollback command's path for a service with the ECS deployment controller (issue #11). With a service
 * deployment in flight (given by ARN, or the service's): StopServiceDeployment ROLLBACK and follow the
 * rollback — a status of the same deployment, ROLLBACK_REQUESTED → ROLLBACK_IN_PROGRESS →
 * ROLLBACK_SUCCESSFUL — to its end. With nothing in flight: UpdateService with the revision before the one
 * the service runs (the source revision of the last SUCCESSFUL service deployment, else the family's
 * previous ACTIVE revision), then find and follow that deployment as the deploy command does.
 * Returns the task definition to deregister (deregister-rolled-back-revision), when the rollback did its work.
 */
import type { Service } from '@aws-sdk/client-ecs';
import type { AwsClients, AwsRuntime } from '../aws/clients.js';
import type { RollbackInputs } from '../action/inputs.js';
import { DeploymentError, InputError, errorMessage } from '../action/errors.js';
import { awsErrorName, isAwsError } from '../aws/errors.js';
import { describeService, previousRevision } from '../aws/ecs-reads.js';
import { ecsConsoleUrl } from '../engines/ecs/engine.js';
import { describeServiceDeployment, listServiceDeployments } from '../engines/ecs/reads.js';
import { findStartedDeployment, updateServiceTaskDefinition } from '../engines/ecs/start.js';
import { describeEcsPosition, isEcsDeploymentInFlight, isRollingBack } from '../engines/ecs/progress.js';
import { ecsWaitBudget } from '../engines/ecs/wait-budget.js';
import { withRetries } from '../aws/retry.js';
import { addNote, setVerdict } from '../record/record.js';
import { throwIfCancelled } from './cancel.js';
import {
  finishEcsFollow,
  followEcsRollback,
  followEcsTo,
  startEcsFollow,
  stopAndFollowEcsRollback,
  type EcsFollow,
} from './follow-ecs.js';
import {
  observationBefore,
  readEcsDeploymentInFlight,
  readGivenEcsDeployment,
  recordOfEcsDeployment,
  revisionTaskDefinition,
  strategyOf,
  type EcsTarget,
} from './ecs-steering.js';

export async function runEcsRollback(
  rt: AwsRuntime,
  inputs: RollbackInputs,
  clients: AwsClients,
  where: { arn: string } | { cluster: string; service: string },
): Promise<string | undefined> {
  if ('arn' in where) {
    const given = await readGivenEcsDeployment(rt, clients, where.arn, inputs.aws.region);
    if (isEcsDeploymentInFlight(given.deployment.status)) return stopInFlight(rt, inputs, clients, given);
    rt.info(`Service deployment ${where.arn} is ${given.deployment.status}; nothing in flight to stop.`);
    if (!inputs.service)
      throw new InputError(
        `service deployment ${where.arn}`,
        'is not in flight, so there is nothing to stop.',
        "To redeploy the previous revision instead, give 'service' (and 'cluster').",
      );
    return redeployPrevious(rt, inputs, clients, given.cluster, given.service, given);
  }
  const inFlight = await readEcsDeploymentInFlight(rt, clients, where.cluster, where.service);
  if (inFlight) return stopInFlight(rt, inputs, clients, inFlight);
  return redeployPrevious(rt, inputs, clients, where.cluster, where.service);
}

/** StopServiceDeployment ROLLBACK (or a rollback already under way), followed to its end unless wait-until is none. */
async function stopInFlight(
  rt: AwsRuntime,
  inputs: RollbackInputs,
  clients: AwsClients,
  target: EcsTarget,
): Promise<string | undefined> {
  const { arn, deployment } = target;
  rt.setOutput('deployment-id', arn);
  const record = await recordOfEcsDeployment(rt, clients, target, {
    region: inputs.aws.region,
    waitUntil: inputs.waitUntil,
    strategy: strategyOf(deployment),
  });
  const rolledBack = record.taskDefinitionArn.startsWith('arn:') ? record.taskDefinitionArn : undefined;
  // Nothing to undo on cancel or failure: the rollback is the undoing.
  const f = startEcsFollow(rt, clients.ecs, record, {
    strategy: strategyOf(deployment),
    rollbackOnCancel: false,
    rollbackOnFailure: false,
  });
  const before = observationBefore(rt, deployment);
  f.reporter.absorb(before);
  f.lastObservation = before;
  rt.info(`Service deployment ${arn}: ${describeEcsPosition(deployment)}. ${ecsConsoleUrl(arn)}`);
  try {
    const follow = inputs.waitUntil !== 'none';
    if (isRollingBack(deployment) || deployment.status === 'STOP_REQUESTED') {
      rt.info(`${arn} is already being undone (${deployment.status}); following it.`);
      if (follow) await followEcsRollback(f);
    } else {
      rt.info(`Stopping ${arn} with rollback (StopServiceDeployment ROLLBACK).`);
      const stopped = await stopAndFollowEcsRollback(f, 'on request (rollback action)', follow);
      if (!stopped) {
        const text = isEcsDeploymentInFlight(record.status)
          ? `Could not stop ${arn}; see the notes and the console: ${ecsConsoleUrl(arn)}`
          : `${arn} ended ${record.status ?? '?'} before it could be stopped; nothing was rolled back.${record.status === 'SUCCESSFUL' ? ' Run the rollback again to redeploy the previous revision.' : ''}`;
        setVerdict(record, 'failed', text);
        throw new DeploymentError(text);
      }
    }
    if (!follow) {
      setVerdict(record, 'not-followed', `Stopped ${arn} with rollback; not followed (wait-until: none).`);
      return undefined;
    }
    return concludeRollback(f, arn, rolledBack);
  } finally {
    await finishEcsFollow(f);
    rt.setOutput('rollback-status', record.status ?? 'ROLLBACK_REQUESTED');
  }
}

/** The verdict on a rollback followed to its end (or not to its end). */
function concludeRollback(f: EcsFollow, arn: string, rolledBack: string | undefined): string | undefined {
  const { rt, record } = f;
  const status = record.status ?? '?';
  const stage = record.ecs?.rollbackStage;
  if (status === 'ROLLBACK_SUCCESSFUL') {
    setVerdict(
      record,
      'succeeded',
      `Service deployment ${arn} rolled back (ROLLBACK_SUCCESSFUL${stage ? `, from ${stage}` : ''}): the service runs its previous revision.`,
    );
    rt.info(record.verdictText ?? '');
    return rolledBack;
  }
  if (isEcsDeploymentInFlight(status)) {
    const text = `The rollback of ${arn} was still ${status} when the action stopped following it; follow it in the console: ${ecsConsoleUrl(arn)}`;
    setVerdict(record, 'timeout', text);
    throw new DeploymentError(text);
  }
  setVerdict(
    record,
    status === 'STOPPED' ? 'stopped' : 'failed',
    `Service deployment ${arn} ended ${status}.`,
  );
  f.reporter.reportFailure(f.lastObservation?.deployment);
  throw new DeploymentError(record.verdictText ?? status, { reported: true });
}

/**
 * The revision before the one the service runs: the source revision of the newest SUCCESSFUL service
 * deployment that deployed what the service runs now, else the family's previous ACTIVE revision.
 */
export async function previousEcsRevision(
  rt: AwsRuntime,
  clients: AwsClients,
  cluster: string,
  service: string,
  current: string,
): Promise<{ arn: string; from: string } | undefined> {
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
    const deployed = await revisionTaskDefinition(rt, clients, d.targetServiceRevision?.arn);
    const source = await revisionTaskDefinition(rt, clients, d.sourceServiceRevisions?.[0]?.arn);
    if (deployed.taskDefinition === current && source.taskDefinition && source.taskDefinition !== current)
      return { arn: source.taskDefinition, from: `the source revision of ${arn}` };
  }
  const arn = await previousRevision(clients.ecs, current);
  return arn ? { arn, from: "the family's previous ACTIVE revision" } : undefined;
}

/**
 * Nothing in flight: UpdateService with the previous revision. Given a deployment that has ended, only when
 * the service still runs the revision it deployed (after a rollback it already runs what it ran before).
 */
async function redeployPrevious(
  rt: AwsRuntime,
  inputs: RollbackInputs,
  clients: AwsClients,
  cluster: string,
  serviceName: string,
  ended?: EcsTarget,
): Promise<string | undefined> {
  const service: Service = await describeService(clients.ecs, cluster, serviceName);
  const current = service.taskDefinition;
  if (!current)
    throw new InputError(
      `service '${cluster}/${serviceName}'`,
      'runs no task definition: nothing to roll back.',
    );
  if (ended) {
    const deployed = await revisionTaskDefinition(rt, clients, ended.deployment.targetServiceRevision?.arn);
    if (deployed.taskDefinition && deployed.taskDefinition !== current) {
      rt.info(
        `Service ${cluster}/${serviceName} runs ${current}, not ${deployed.taskDefinition} that ${ended.arn} deployed (it ended ${ended.deployment.status}): nothing to roll back.`,
      );
      rt.setOutput('deployment-status', ended.deployment.status ?? '');
      rt.setOutput('task-definition-arn', current);
      await rt.writeSummary(
        `## ↩️ Nothing to roll back\n\nService deployment ${ended.arn} ended ${ended.deployment.status}; service \`${cluster}/${serviceName}\` runs \`${current}\`, not the revision it deployed.\n`,
      );
      return undefined;
    }
  }
  const previous = await previousEcsRevision(rt, clients, cluster, serviceName, current);
  if (!previous)
    throw new InputError(
      `service '${cluster}/${serviceName}'`,
      `runs ${current}; no earlier successful deployment and no earlier ACTIVE revision of its family exist.`,
      'There is nothing to roll back to.',
    );
  rt.info(
    `Nothing in flight: redeploying the previous revision ${previous.arn} (${previous.from}; the service runs ${current}).`,
  );
  throwIfCancelled(rt, 'the previous revision was redeployed');
  const since = rt.clock.now();
  try {
    await updateServiceTaskDefinition(clients.ecs, cluster, serviceName, previous.arn);
  } catch (error) {
    if (isAwsError(error, 'InvalidParameterException', 'ClientException'))
      throw new InputError(
        `ECS refused UpdateService on ${cluster}/${serviceName}`,
        errorMessage(error),
        'Fix the service or the revision; nothing was redeployed.',
      );
    throw new DeploymentError(`UpdateService failed: ${awsErrorName(error)}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  rt.setOutput('task-definition-arn', previous.arn);
  const brief = await findStartedDeployment(
    clients.ecs,
    rt.clock,
    { cluster, service: serviceName, taskDefinitionArn: previous.arn, since },
    rt.signal,
  );
  if (!brief?.serviceDeploymentArn)
    throw new DeploymentError(
      `UpdateService was accepted, but no service deployment of ${cluster}/${serviceName} deploying ${previous.arn} was listed within a minute (ListServiceDeployments). Look at the service's Deployments tab; the action did not follow it.`,
    );
  const arn = brief.serviceDeploymentArn;
  rt.setOutput('deployment-id', arn);
  rt.info(`Service deployment ${arn}: ${ecsConsoleUrl(arn)}`);
  const deployment = await withRetries(rt.clock, () => describeServiceDeployment(clients.ecs, arn));
  const strategy = service.deploymentConfiguration?.strategy ?? strategyOf(deployment);
  const record = await recordOfEcsDeployment(
    rt,
    clients,
    { arn, cluster, service: serviceName, deployment },
    { region: inputs.aws.region, waitUntil: inputs.waitUntil, strategy },
  );
  record.startedAt = since;
  addNote(record, `Redeployed ${previous.arn} in place of ${current}.`);
  const f = startEcsFollow(rt, clients.ecs, record, {
    strategy,
    rollbackOnCancel: true,
    rollbackOnFailure: true,
  });
  try {
    if (inputs.waitUntil === 'none') {
      setVerdict(
        record,
        'not-followed',
        `Service deployment ${arn} started; not followed (wait-until: none).`,
      );
    } else {
      const budget = ecsWaitBudget(
        {
          waitForMinutes: inputs.waitForMinutes,
          waitUntil: inputs.waitUntil,
          config: service.deploymentConfiguration,
        },
        rt.clock.now(),
      );
      await followEcsTo(f, inputs.waitUntil, budget);
    }
  } finally {
    await finishEcsFollow(f);
  }
  return current;
}
