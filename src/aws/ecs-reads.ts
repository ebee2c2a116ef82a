/**
 * The ECS reads that more than one command makes: a service (with errors that name the cluster and
 * service), the task definition it runs, and the revision before one. Only Describe/List calls happen here.
 */
import {
  DescribeServicesCommand,
  ListTaskDefinitionsCommand,
  type ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';
import { InputError } from '../action/errors.js';
import { isAwsError } from './errors.js';

/** The cluster's name from its ARN (`…:cluster/<name>`), or `fallback`. */
export function clusterNameFromArn(arn: string | undefined, fallback: string): string {
  if (!arn) return fallback;
  const match = /:cluster\/(.+)$/.exec(arn);
  return match?.[1] ?? fallback;
}

/** The service, ACTIVE; an InputError naming the cluster or service when it is missing or inactive. */
export async function describeService(
  ecs: ECSClient,
  cluster: string,
  serviceName: string,
): Promise<Service> {
  let response;
  try {
    response = await ecs.send(new DescribeServicesCommand({ cluster, services: [serviceName] }));
  } catch (error) {
    if (isAwsError(error, 'ClusterNotFoundException')) {
      throw new InputError(
        `cluster '${cluster}'`,
        'does not exist in this account and region.',
        "Check the 'cluster' input and aws-region.",
      );
    }
    throw error;
  }
  const service = response.services?.[0];
  if (!service) {
    const reason = response.failures?.[0]?.reason ?? 'MISSING';
    throw new InputError(
      `service '${serviceName}'`,
      `was not found in cluster '${cluster}' (${reason}).`,
      "Check the 'service' and 'cluster' inputs.",
    );
  }
  if (service.status !== 'ACTIVE') {
    throw new InputError(
      `service '${serviceName}'`,
      `is ${service.status}, not ACTIVE.`,
      'Deploy to an active service.',
    );
  }
  return service;
}

/** The task definition the service runs now: its primary task set's, for a CODE_DEPLOY service. */
export function runningTaskDefinitionArn(service: Service): string | undefined {
  return service.taskSets?.find((set) => set.status === 'PRIMARY')?.taskDefinition ?? service.taskDefinition;
}

function familyAndRevision(arn: string): { family: string; revision: number } | undefined {
  const match = /(?:task-definition\/)?([\w-]+):(\d+)$/.exec(arn);
  return match ? { family: match[1] as string, revision: Number(match[2]) } : undefined;
}

/** The newest ACTIVE revision of the family older than `currentArn`. */
export async function previousRevision(ecs: ECSClient, currentArn: string): Promise<string | undefined> {
  const current = familyAndRevision(currentArn);
  if (!current) return undefined;
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(
      new ListTaskDefinitionsCommand({
        familyPrefix: current.family,
        status: 'ACTIVE',
        sort: 'DESC',
        nextToken,
      }),
    );
    for (const arn of page.taskDefinitionArns ?? []) {
      const parsed = familyAndRevision(arn);
      if (parsed && parsed.family === current.family && parsed.revision < current.revision) return arn;
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}
