/** Links to the AWS console, for log lines and the job summary. */

/** The CodeDeploy console page of a deployment, in the region's partition. */
export function consoleUrl(region: string, deploymentId: string): string {
  const host = region.startsWith('cn-')
    ? 'console.amazonaws.cn'
    : region.startsWith('us-gov-')
      ? 'console.amazonaws-us-gov.com'
      : `${region}.console.aws.amazon.com`;
  return `https://${host}/codesuite/codedeploy/deployments/${encodeURIComponent(deploymentId)}?region=${region}`;
}
