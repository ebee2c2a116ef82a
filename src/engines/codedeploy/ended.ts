/**
 * A CodeDeploy deployment first seen already failed or stopped by a command that does not follow it
 * (rollback, on-active-deployment: wait): its target is read once and the failed lifecycle event, its
 * diagnostics and CodeDeploy's error are reported as a failure seen live is (issue #9, part 3) — an error
 * annotation, or a warning when the failure is not this job's.
 */
import type { DeploymentInfo } from '@aws-sdk/client-codedeploy';
import { errorMessage } from '../../action/errors.js';
import {
  deploymentService,
  readDeploymentTarget,
  type DeploymentTargetInfo,
} from '../../aws/codedeploy-reads.js';
import type { EngineContext } from '../../engine/engine.js';
import {
  newCodeDeployPart,
  newDeploymentRecord,
  setRollback,
  type DeploymentRecord,
  type RecordInit,
} from '../../record/record.js';
import { DeploymentReporter } from './reporter.js';

/** A record for a deployment that exists already (promote, rollback): named after its group and service. */
export function recordOfDeployment(
  deployment: DeploymentInfo,
  where: DeploymentTargetInfo,
  fields: Pick<
    RecordInit,
    'deploymentId' | 'region' | 'taskDefinitionArn' | 'waitUntil' | 'startedAt' | 'status'
  >,
  isRollback = false,
): DeploymentRecord {
  return newDeploymentRecord({
    ...fields,
    engine: 'codedeploy',
    cluster: where.cluster,
    service: where.service,
    images: [],
    codedeploy: newCodeDeployPart({
      application: deployment.applicationName ?? '?',
      deploymentGroup: deployment.deploymentGroupName ?? '?',
      deploymentConfig: deployment.deploymentConfigName,
      isRollback,
    }),
  });
}

export async function reportEndedDeployment(
  ctx: EngineContext,
  deployment: DeploymentInfo,
  level: 'error' | 'warning',
): Promise<void> {
  const { rt, clients, region } = ctx;
  const id = deployment.deploymentId ?? '?';
  if (deployment.status !== 'Failed' && deployment.status !== 'Stopped') return;
  try {
    const where = await deploymentService(clients.codedeploy, deployment);
    const read = await readDeploymentTarget(clients.codedeploy, id, where.targetId);
    const record = recordOfDeployment(deployment, where, {
      deploymentId: id,
      region,
      taskDefinitionArn: '(see deployment)',
      waitUntil: 'succeeded',
      startedAt: rt.clock.now(),
      status: deployment.status,
    });
    const rollbackId = deployment.rollbackInfo?.rollbackDeploymentId;
    if (rollbackId) setRollback(record, rollbackId);
    const reporter = new DeploymentReporter(record, rt, () => rt.clock.now());
    reporter.absorb({
      at: rt.clock.now(),
      deployment,
      target: read.kind === 'target' ? read.target : undefined,
    });
    reporter.reportFailure(deployment, level);
  } catch (error) {
    rt.warning(`Could not read why ${id} ended ${deployment.status}: ${errorMessage(error)}`);
  }
}
