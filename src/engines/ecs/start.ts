/**
 * Starting an ECS service deployment: UpdateService with the new task definition — and the official
 * action's service inputs when given (force-new-deployment, desired-count, enable-ecs-managed-tags,
 * propagate-tags, the managed EBS volume), nothing else — then finding the deployment it started. UpdateService returns no deployment id (aws/containers-roadmap#2709)
 * and `currentServiceDeployment` can be stale (kayac/ecspresso#945): the action lists the service's
 * deployments created since just before its call and takes the one whose target revision runs the task
 * definition it deployed (docs/ecs-native.md).
 */
import {
  DescribeServiceRevisionsCommand,
  ListServiceDeploymentsCommand,
  UpdateServiceCommand,
  type ECSClient,
  type ServiceDeploymentBrief,
} from '@aws-sdk/client-ecs';
import type { Clock } from '../../action/clock.js';
import type { ServiceSettings } from '../../action/service-inputs.js';
import { DeploymentError, InputError, errorMessage } from '../../action/errors.js';
import { awsErrorName, isAwsError, isThrottlingError, isTransientAwsError } from '../../aws/errors.js';
import { pollingClient } from '../../aws/clients.js';
import { faultBackoffMs } from '../../aws/retry.js';
import { ECS_LOOKUP_POLL_MS, ECS_LOOKUP_WITHIN_MS } from './pacing.js';
import { rateBudget } from '../../aws/rate-budget.js';

/** Clock skew allowed between the runner and ECS when listing what was created after the call. */
export const CREATED_AFTER_SKEW_MS = 60_000;

/**
 * UpdateService with `taskDefinition` and the settings given (none: the service's other settings stay as
 * they are). forceNewDeployment starts a deployment of the revision the service runs already.
 */
export async function updateServiceTaskDefinition(
  ecs: ECSClient,
  cluster: string,
  service: string,
  taskDefinitionArn: string,
  settings?: ServiceSettings,
): Promise<void> {
  await ecs.send(
    new UpdateServiceCommand({
      cluster,
      service,
      taskDefinition: taskDefinitionArn,
      ...(settings?.forceNewDeployment ? { forceNewDeployment: true } : {}),
      ...(settings?.desiredCount !== undefined ? { desiredCount: settings.desiredCount } : {}),
      ...(settings?.enableECSManagedTags !== undefined
        ? { enableECSManagedTags: settings.enableECSManagedTags }
        : {}),
      ...(settings?.propagateTags !== undefined ? { propagateTags: settings.propagateTags } : {}),
      ...(settings?.volumeConfigurations ? { volumeConfigurations: settings.volumeConfigurations } : {}),
    }),
  );
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
  // The lookup's reads are paced as the watch's are: one attempt each (aws/clients.ts's polling client),
  // within the process's ECS budget (aws/rate-budget.ts), a throttled one retried as the budget says. The
  // first goes at once, the next ones when the plan's second has passed and a token is there.
  const polling = pollingClient(ecs);
  const budget = rateBudget(clock, 'ecs');
  const read = async <T>(call: () => Promise<T>): Promise<T> => {
    for (let faults = 1; ; faults++) {
      try {
        const answer = await call();
        budget.passed();
        return answer;
      } catch (error) {
        if (signal?.aborted || !isTransientAwsError(error) || clock.now() >= until) throw error;
        await clock.sleep(isThrottlingError(error) ? budget.throttled() : faultBackoffMs(faults), signal);
        await budget.spend(0, { signal, until });
      }
    }
  };
  await budget.spend(0, { signal, urgent: true });
  for (;;) {
    const listed =
      (
        await read(() =>
          polling.send(
            new ListServiceDeploymentsCommand({
              cluster: params.cluster,
              service: params.service,
              createdAt: { after: new Date(params.since - CREATED_AFTER_SKEW_MS) },
              maxResults: 100,
            }),
            { abortSignal: signal },
          ),
        )
      ).serviceDeployments ?? [];
    const newestFirst = [...listed].sort(
      (a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0),
    );
    for (const brief of newestFirst) {
      const revisionArn = brief.targetServiceRevisionArn;
      if (!revisionArn || !brief.serviceDeploymentArn) continue;
      if (!revisionTaskDefinitions.has(revisionArn)) {
        // a read of its own: it waits for a token too, so that even a deployment of seconds costs no
        // more than the budget's calls a minute
        await budget.spend(0, { signal, until });
        const revisions = await read(() =>
          polling.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: [revisionArn] }), {
            abortSignal: signal,
          }),
        );
        revisionTaskDefinitions.set(revisionArn, revisions.serviceRevisions?.[0]?.taskDefinition);
      }
      if (revisionTaskDefinitions.get(revisionArn) === params.taskDefinitionArn) return brief;
    }
    if (clock.now() >= until || signal?.aborted) return undefined;
    await budget.spend(ECS_LOOKUP_POLL_MS, { signal, until });
    if (signal?.aborted) return undefined;
  }
}

/**
 * UpdateService with the task definition, then the service deployment it started. ECS refusing the update
 * is an input error (nothing was deployed); a deployment that is not listed within a minute is an error
 * that says so (the action did not follow it). Returns the service deployment ARN.
 */
export async function startServiceDeployment(
  ecs: ECSClient,
  clock: Clock,
  params: { cluster: string; service: string; taskDefinitionArn: string; settings?: ServiceSettings },
  log: (message: string) => void,
  signal?: AbortSignal,
): Promise<{ arn: string; status?: string; since: number }> {
  const { cluster, service, taskDefinitionArn } = params;
  const since = clock.now();
  try {
    await updateServiceTaskDefinition(ecs, cluster, service, taskDefinitionArn, params.settings);
  } catch (error) {
    if (isAwsError(error, 'InvalidParameterException', 'ClientException'))
      throw new InputError(
        `ECS refused UpdateService on ${cluster}/${service}`,
        errorMessage(error),
        'Fix the service or the task definition; nothing was deployed.',
      );
    throw new DeploymentError(`UpdateService failed: ${awsErrorName(error)}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  log(
    `UpdateService: ${service} → ${taskDefinitionArn}${describeSettings(params.settings)}; looking for the service deployment it started`,
  );
  const brief = await findStartedDeployment(
    ecs,
    clock,
    { cluster, service, taskDefinitionArn, since },
    signal,
  );
  if (!brief?.serviceDeploymentArn)
    throw new DeploymentError(
      `UpdateService was accepted, but no service deployment of ${cluster}/${service} deploying ${taskDefinitionArn} was listed within a minute (ListServiceDeployments). Look at the service's Deployments tab; the action did not follow it.`,
    );
  return { arn: brief.serviceDeploymentArn, status: brief.status, since };
}

/** ", desired count 3, force new deployment, …": what UpdateService carried besides the task definition. */
export function describeSettings(settings: ServiceSettings | undefined): string {
  if (!settings) return '';
  const parts = [
    settings.forceNewDeployment ? 'force new deployment' : undefined,
    settings.desiredCount !== undefined ? `desired count ${settings.desiredCount}` : undefined,
    settings.enableECSManagedTags !== undefined
      ? `ECS managed tags ${settings.enableECSManagedTags ? 'on' : 'off'}`
      : undefined,
    settings.propagateTags !== undefined ? `propagate tags ${settings.propagateTags}` : undefined,
    settings.volumeConfigurations
      ? `volume ${settings.volumeConfigurations.map((v) => v.name).join(', ')}`
      : undefined,
  ].filter((p): p is string => p !== undefined);
  return parts.length ? `, ${parts.join(', ')}` : '';
}
