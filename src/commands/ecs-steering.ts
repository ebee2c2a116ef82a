/**
 * What the promote and rollback commands share for services with the ECS deployment controller (issue #11):
 * which service deployment they act on — given by ARN, or the service's deployment in flight — and the
 * record (for the log and the job summary) of a deployment the action did not start.
 */
import type { ServiceDeployment } from '@aws-sdk/client-ecs';
import type { AwsClients, AwsRuntime } from '../aws/clients.js';
import type { WaitUntil } from '../action/inputs.js';
import { InputError } from '../action/errors.js';
import {
  describeServiceDeployment,
  describeServiceRevision,
  findEcsDeploymentInFlight,
  parseServiceDeploymentArn,
} from '../engines/ecs/reads.js';
import { withRetries } from '../aws/retry.js';
import { awsErrorName, isAwsError } from '../aws/errors.js';
import { carryOver, type EcsObservation } from '../engines/ecs/progress.js';
import { newDeploymentRecord, type DeploymentRecord } from '../record/record.js';

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
  rt: AwsRuntime,
  clients: AwsClients,
  arn: string,
  region: string,
): Promise<EcsTarget> {
  const where = checkArnRegion(arn, region);
  const deployment = await withRetries(rt.clock, () => describeServiceDeployment(clients.ecs, arn)).catch(
    (error: unknown) => {
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
    },
  );
  return { arn, ...where, deployment };
}

/** The service's deployment in flight (newest first), read in full; undefined when none is. */
export async function readEcsDeploymentInFlight(
  rt: AwsRuntime,
  clients: AwsClients,
  cluster: string,
  service: string,
): Promise<EcsTarget | undefined> {
  const brief = await findEcsDeploymentInFlight(clients.ecs, rt.clock, cluster, service);
  const arn = brief?.serviceDeploymentArn;
  if (!arn) return undefined;
  const deployment = await withRetries(rt.clock, () => describeServiceDeployment(clients.ecs, arn));
  return { arn, cluster, service, deployment };
}

/** The task definition a service revision runs (DescribeServiceRevisions), undefined when it cannot be read. */
export async function revisionTaskDefinition(
  rt: AwsRuntime,
  clients: AwsClients,
  revisionArn: string | undefined,
): Promise<{ taskDefinition?: string; images: Array<{ container: string; image: string }> }> {
  if (!revisionArn) return { images: [] };
  const revision = await describeServiceRevision(clients.ecs, rt.clock, revisionArn).catch(() => undefined);
  return {
    taskDefinition: revision?.taskDefinition,
    images: (revision?.containerImages ?? []).map((c) => ({
      container: c.containerName ?? '?',
      image: c.image ?? '?',
    })),
  };
}

/** The record of a deployment the action did not start, with its target revision's task definition and images. */
export async function recordOfEcsDeployment(
  rt: AwsRuntime,
  clients: AwsClients,
  target: EcsTarget,
  params: { region: string; waitUntil: WaitUntil; strategy: string },
): Promise<DeploymentRecord> {
  const revision = await revisionTaskDefinition(rt, clients, target.deployment.targetServiceRevision?.arn);
  const record = newDeploymentRecord({
    deploymentId: target.arn,
    region: params.region,
    application: '',
    deploymentGroup: '',
    cluster: target.cluster,
    service: target.service,
    taskDefinitionArn: revision.taskDefinition ?? '(see the service deployment)',
    images: revision.images,
    waitUntil: params.waitUntil,
    startedAt: rt.clock.now(),
    status: target.deployment.status ?? 'PENDING',
  });
  record.engine = 'ecs';
  record.ecs = { strategy: params.strategy, stages: [], traffic: [], hooks: [] };
  return record;
}

/** The strategy of the deployment (its configuration snapshot), else BLUE_GREEN: ECS's default. */
export function strategyOf(d: ServiceDeployment): string {
  return d.deploymentConfiguration?.strategy ?? 'BLUE_GREEN';
}

/** Where the deployment stood before the action acted: absorbed, not replayed as if it were happening now. */
export function observationBefore(rt: AwsRuntime, d: ServiceDeployment): EcsObservation {
  return carryOver(undefined, { at: rt.clock.now(), deployment: d });
}
