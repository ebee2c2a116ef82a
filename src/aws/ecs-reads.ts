/**
 * The ECS reads that more than one command makes: a service (with errors that name the cluster and
 * service), the task definition it runs, the revision before one, and what explains a stuck Install (the
 * service's events and task sets, its stopped tasks). Only Describe/List calls happen here.
 */
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  type ECSClient,
  type Service,
  type Task,
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

/** The service as ECS describes it now (task sets, events), or undefined when ECS does not find it. */
export async function readService(
  ecs: ECSClient,
  cluster: string,
  serviceName: string,
  signal?: AbortSignal,
): Promise<Service | undefined> {
  const response = await ecs.send(new DescribeServicesCommand({ cluster, services: [serviceName] }), {
    abortSignal: signal,
  });
  return response.services?.[0];
}

/** DescribeTasks takes at most 100 tasks per call (ECS API reference). */
export const DESCRIBE_TASKS_BATCH = 100;

/**
 * The service's stopped tasks that are not in `skip`, described, newest listed first. They are listed
 * with `serviceName` and `desiredStatus: STOPPED`, not with `startedBy` = the task set id: the ListTasks
 * API reference says startedBy "must be the only filter that you use", and that without desiredStatus
 * only RUNNING tasks are listed, so a startedBy listing cannot ask for stopped tasks. The caller tells
 * the replacement's tasks by the `startedBy` DescribeTasks returns. ECS lists a stopped task for at
 * least an hour; at most `maxListed` are listed (pages of 100) and described (batches of 100).
 */
export async function describeStoppedTasks(
  ecs: ECSClient,
  cluster: string,
  serviceName: string,
  skip: ReadonlySet<string>,
  options: { maxListed?: number; signal?: AbortSignal } = {},
): Promise<Task[]> {
  const maxListed = options.maxListed ?? 300;
  const arns: string[] = [];
  let nextToken: string | undefined;
  let listed = 0;
  do {
    const page = await ecs.send(
      new ListTasksCommand({
        cluster,
        serviceName,
        desiredStatus: 'STOPPED',
        maxResults: Math.min(100, maxListed - listed),
        nextToken,
      }),
      { abortSignal: options.signal },
    );
    for (const arn of page.taskArns ?? []) {
      listed++;
      if (!skip.has(arn)) arns.push(arn);
    }
    nextToken = page.nextToken;
  } while (nextToken && listed < maxListed);
  const tasks: Task[] = [];
  for (let i = 0; i < arns.length; i += DESCRIBE_TASKS_BATCH) {
    const described = await ecs.send(
      new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + DESCRIBE_TASKS_BATCH) }),
      { abortSignal: options.signal },
    );
    tasks.push(...(described.tasks ?? []));
  }
  return tasks;
}
