/**
 * The pieces a scenario against the emulator needs besides the seeded AWS resources: a GitHub OIDC trust
 * policy, an AppSpec file and a task definition file for the seeded service. Shared by the demo, the
 * end-to-end suite and the benchmark.
 */

export const OIDC_PROVIDER = 'token.actions.githubusercontent.com';

/** A deploy role's trust policy as the project's CloudFormation writes it: `aud` exact, `sub` a pattern. */
export function githubTrustPolicy(accountId: string, sub: string): object {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: `arn:aws:iam::${accountId}:oidc-provider/${OIDC_PROVIDER}` },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: { [`${OIDC_PROVIDER}:aud`]: 'sts.amazonaws.com' },
          StringLike: { [`${OIDC_PROVIDER}:sub`]: sub },
        },
      },
    ],
  };
}

/** An AppSpec YAML for the service's load-balanced container, with optional hooks (event → Lambda). */
export function appSpecYaml(
  containerName: string,
  containerPort: number,
  hooks: Record<string, string> = {},
): string {
  const lines = [
    'version: 0.0',
    'Resources:',
    '  - TargetService:',
    '      Type: AWS::ECS::Service',
    '      Properties:',
    '        TaskDefinition: "<TASK_DEFINITION>"',
    '        LoadBalancerInfo:',
    `          ContainerName: ${containerName}`,
    `          ContainerPort: ${containerPort}`,
  ];
  const entries = Object.entries(hooks);
  if (entries.length) {
    lines.push('Hooks:');
    for (const [event, fn] of entries) lines.push(`  - ${event}: ${fn}`);
  }
  return lines.join('\n') + '\n';
}

/**
 * A Fargate task definition file for the seeded service, as a team would keep it in its repository. Its
 * environment holds a secret-looking value (which must never be printed) and an empty value (which must
 * be kept).
 */
export function taskDefinitionFile(params: {
  family: string;
  containerName: string;
  containerPort: number;
  accountId: string;
  secretValue: string;
}): Record<string, unknown> {
  return {
    family: params.family,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    executionRoleArn: `arn:aws:iam::${params.accountId}:role/web-execution`,
    containerDefinitions: [
      {
        name: params.containerName,
        image: 'public.ecr.aws/nginx/nginx:1.27',
        essential: true,
        portMappings: [{ containerPort: params.containerPort, protocol: 'tcp' }],
        environment: [
          { name: 'LOG_LEVEL', value: 'info' },
          { name: 'DATABASE_PASSWORD', value: params.secretValue },
          { name: 'EMPTY_ON_PURPOSE', value: '' },
        ],
      },
    ],
  };
}
