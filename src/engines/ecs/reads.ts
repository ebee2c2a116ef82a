/**
 * The ECS service-deployment reads (SDK `DescribeServiceDeployments`, `ListServiceDeployments`,
 * `DescribeServiceRevisions`): one deployment, the deployments of a service, one revision. Only
 * Describe/List calls happen here; passing faults are retried through aws/retry.ts.
 */
import { consoleHost } from '../../aws/console-url.js';
import {
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  ListServiceDeploymentsCommand,
  type ECSClient,
  type ServiceDeployment,
  type ServiceDeploymentBrief,
  type ServiceRevision,
} from '@aws-sdk/client-ecs';
import type { Clock } from '../../action/clock.js';
import { withRetries } from '../../aws/retry.js';

/** The statuses of a deployment in flight (SDK `ServiceDeploymentStatus`). */
export const IN_FLIGHT_FILTER = [
  'PENDING',
  'IN_PROGRESS',
  'STOP_REQUESTED',
  'ROLLBACK_REQUESTED',
  'ROLLBACK_IN_PROGRESS',
] as const;

export async function describeServiceDeployment(
  ecs: ECSClient,
  arn: string,
  signal?: AbortSignal,
): Promise<ServiceDeployment> {
  const response = await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }), {
    abortSignal: signal,
  });
  const deployment = response.serviceDeployments?.[0];
  if (!deployment) {
    const reason = response.failures?.[0]?.reason ?? 'MISSING';
    throw new Error(`DescribeServiceDeployments: ${arn} was not found (${reason})`);
  }
  return deployment;
}

/** The same, through passing faults. */
export function readServiceDeployment(ecs: ECSClient, clock: Clock, arn: string): Promise<ServiceDeployment> {
  return withRetries(clock, () => describeServiceDeployment(ecs, arn));
}

export async function listServiceDeployments(
  ecs: ECSClient,
  clock: Clock,
  params: { cluster: string; service: string; status?: string[]; createdAfter?: Date },
): Promise<ServiceDeploymentBrief[]> {
  const response = await withRetries(clock, () =>
    ecs.send(
      new ListServiceDeploymentsCommand({
        cluster: params.cluster,
        service: params.service,
        ...(params.status ? { status: params.status as never } : {}),
        ...(params.createdAfter ? { createdAt: { after: params.createdAfter } } : {}),
        maxResults: 100,
      }),
    ),
  );
  return response.serviceDeployments ?? [];
}

/** The deployment of the service in flight (newest first), if any. */
export async function findEcsDeploymentInFlight(
  ecs: ECSClient,
  clock: Clock,
  cluster: string,
  service: string,
): Promise<ServiceDeploymentBrief | undefined> {
  const listed = await listServiceDeployments(ecs, clock, {
    cluster,
    service,
    status: [...IN_FLIGHT_FILTER],
  });
  return [...listed].sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))[0];
}

export async function describeServiceRevision(
  ecs: ECSClient,
  clock: Clock,
  arn: string,
): Promise<ServiceRevision | undefined> {
  const response = await withRetries(clock, () =>
    ecs.send(new DescribeServiceRevisionsCommand({ serviceRevisionArns: [arn] })),
  );
  return response.serviceRevisions?.[0];
}

/** `…:service-deployment/<cluster>/<service>/<id>` → its parts, for a deployment given by ARN alone. */
export function parseServiceDeploymentArn(
  arn: string,
): { region: string; cluster: string; service: string; id: string } | undefined {
  const match = /^arn:aws[a-z-]*:ecs:([a-z0-9-]+):\d{12}:service-deployment\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(
    arn,
  );
  if (!match) return undefined;
  return {
    region: match[1] as string,
    cluster: match[2] as string,
    service: match[3] as string,
    id: match[4] as string,
  };
}

export function isServiceDeploymentArn(id: string): boolean {
  return parseServiceDeploymentArn(id) !== undefined;
}

/** Where a person looks at the deployment: the service's Deployments tab in the ECS console. */
export function ecsConsoleUrl(arn: string): string {
  const parts = parseServiceDeploymentArn(arn);
  if (!parts) return `https://console.aws.amazon.com/ecs/v2/home`;
  return `https://${consoleHost(parts.region)}/ecs/v2/clusters/${encodeURIComponent(parts.cluster)}/services/${encodeURIComponent(parts.service)}/deployments/${encodeURIComponent(parts.id)}?region=${parts.region}`;
}
