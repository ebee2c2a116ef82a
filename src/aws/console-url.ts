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
