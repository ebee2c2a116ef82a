/** Links to the AWS console, for log lines and the job summary. */

/** The console's host in the region's partition. */
export function consoleHost(region: string): string {
  return region.startsWith('cn-')
    ? 'console.amazonaws.cn'
    : region.startsWith('us-gov-')
      ? 'console.amazonaws-us-gov.com'
      : `${region}.console.aws.amazon.com`;
}

/** The CodeDeploy console page of a deployment, in the region's partition. */
export function consoleUrl(region: string, deploymentId: string): string {
  return `https://${consoleHost(region)}/codesuite/codedeploy/deployments/${encodeURIComponent(deploymentId)}?region=${region}`;
}

/** The ECS console page of a task (`arn:…:task/<cluster>/<id>`), in the region's partition. */
export function taskConsoleUrl(region: string, cluster: string, taskArn: string): string {
  const id = taskArn.split('/').pop() ?? taskArn;
  return `https://${consoleHost(region)}/ecs/v2/clusters/${encodeURIComponent(cluster)}/tasks/${encodeURIComponent(id)}?region=${region}`;
}
