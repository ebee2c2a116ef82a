/**
 * Starting an ECS service deployment: UpdateService with the new task definition and nothing else, then
 * finding the deployment it started. UpdateService returns no deployment id (aws/containers-roadmap#2709)
 * and `currentServiceDeployment` can be stale (kayac/ecspresso#945): the action lists the service's
 * deployments created since just before its call and takes the one whose target revision runs the task
 * definition it deployed (docs/ecs-native.md).
 */
import { UpdateServiceCommand, type ECSClient, type ServiceDeploymentBrief } from '@aws-sdk/client-ecs';
import type { Clock } from '../../action/clock.js';
import { describeServiceRevision, listServiceDeployments } from './reads.js';
import { ECS_LOOKUP_POLL_MS, ECS_LOOKUP_WITHIN_MS } from './pacing.js';

/** Clock skew allowed between the runner and ECS when listing what was created after the call. */
export const CREATED_AFTER_SKEW_MS = 60_000;

/** UpdateService with `taskDefinition` only: the service's other settings stay as they are. */
export async function updateServiceTaskDefinition(
  ecs: ECSClient,
  cluster: string,
  service: string,
  taskDefinitionArn: string,
): Promise<void> {
  await ecs.send(new UpdateServiceCommand({ cluster, service, taskDefinition: taskDefinitionArn }));
}

/**
 * The deployment that deploys `taskDefinitionArn`, created after `since` (minus the skew), newest first:
 * retried until ListServiceDeployments shows it (a new deployment may not be listed at once), up to `withinMs`.
 */
export async function findStartedDeployment(
  ecs: ECSClient,
  clock: Clock,
  params: { cluster: string; service: string; taskDefinitionArn: string; since: number; withinMs?: number },
  signal?: AbortSignal,
): Promise<ServiceDeploymentBrief | undefined> {
  const until = clock.now() + (params.withinMs ?? ECS_LOOKUP_WITHIN_MS);
  const revisionTaskDefinitions = new Map<string, string | undefined>();
  for (;;) {
    const listed = await listServiceDeployments(ecs, clock, {
      cluster: params.cluster,
      service: params.service,
      createdAfter: new Date(params.since - CREATED_AFTER_SKEW_MS),
    });
    const newestFirst = [...listed].sort(
      (a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0),
    );
    for (const brief of newestFirst) {
      const revisionArn = brief.targetServiceRevisionArn;
      if (!revisionArn || !brief.serviceDeploymentArn) continue;
      if (!revisionTaskDefinitions.has(revisionArn))
        revisionTaskDefinitions.set(
          revisionArn,
          (await describeServiceRevision(ecs, clock, revisionArn))?.taskDefinition,
        );
      if (revisionTaskDefinitions.get(revisionArn) === params.taskDefinitionArn) return brief;
    }
    if (clock.now() >= until || signal?.aborted) return undefined;
    await clock.sleep(ECS_LOOKUP_POLL_MS, signal);
  }
}
