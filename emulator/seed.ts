/** Seeding: a ready-made CodeDeploy blue/green ECS service with its load balancer, roles and hook Lambdas. */
import { registerTaskDefinition } from './ecs.js';
import { renderTemplateRoles, type IdentityPolicy, type RoleKey, type TemplateRole } from './iam-template.js';
import {
  clusterArn,
  randomDigits,
  randomHex,
  randomString,
  serviceArn,
  uuid,
  type EmulatorState,
  type HookEventName,
  type LambdaBehavior,
  type ReadyOption,
} from './state.js';

export interface BlueGreenServiceOptions {
  cluster?: string;
  service?: string;
  family?: string;
  containerName?: string;
  containerPort?: number;
  image?: string;
  desiredCount?: number;
  application?: string;
  deploymentGroup?: string;
  deploymentConfig?: string;
  readyOption?: ReadyOption;
  terminationWaitMinutes?: number;
  autoRollback?: boolean | { enabled: boolean; events: string[] };
  /** hook Lambdas to create (they succeed), e.g. { AfterAllowTestTraffic: 'smoke-test' } */
  hooks?: Partial<Record<HookEventName, string>>;
  controller?: 'CODE_DEPLOY' | 'ECS';
  withTestListener?: boolean;
}

export interface SeededService {
  cluster: string;
  clusterArn: string;
  service: string;
  serviceArn: string;
  family: string;
  taskDefinitionArn: string;
  containerName: string;
  containerPort: number;
  application: string;
  deploymentGroup: string;
  deploymentConfig: string;
  loadBalancerArn: string;
  loadBalancerDnsName: string;
  prodListenerArn: string;
  testListenerArn?: string;
  targetGroupArns: [string, string];
  targetGroupNames: [string, string];
  primaryTaskSetId: string;
}

export function seedBlueGreenService(
  state: EmulatorState,
  now: number,
  o: BlueGreenServiceOptions = {},
): SeededService {
  const cluster = o.cluster ?? 'demo';
  const service = o.service ?? 'web';
  const family = o.family ?? 'web';
  const containerName = o.containerName ?? 'web';
  const containerPort = o.containerPort ?? 8080;
  const image = o.image ?? `${state.accountId}.dkr.ecr.${state.region}.amazonaws.com/${family}:v1`;
  const application = o.application ?? `AppECS-${cluster}-${service}`;
  const deploymentGroup = o.deploymentGroup ?? `DgpECS-${cluster}-${service}`;
  const deploymentConfig = o.deploymentConfig ?? 'CodeDeployDefault.ECSCanary10Percent5Minutes';
  const readyOption = o.readyOption ?? { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 0 };
  if (readyOption.actionOnTimeout === 'CONTINUE_DEPLOYMENT' && readyOption.waitTimeInMinutes !== 0)
    throw new Error(
      "Deployment ready action cannot be set to 'CONTINUE_DEPLOYMENT' when timeout is specified",
    );
  const terminationWaitMinutes = o.terminationWaitMinutes ?? 5;
  if (terminationWaitMinutes < 0 || terminationWaitMinutes > 2880)
    throw new Error('terminationWaitTimeInMinutes must be between 0 and 2880');
  const autoRollback =
    typeof o.autoRollback === 'object'
      ? o.autoRollback
      : o.autoRollback === false
        ? { enabled: false, events: [] }
        : { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'] };
  const desiredCount = o.desiredCount ?? 2;
  const withTest = o.withTestListener ?? true;
  const acct = state.accountId;
  const region = state.region;

  state.clusters.set(cluster, { clusterName: cluster, clusterArn: clusterArn(state, cluster) });
  const executionRoleArn = `arn:aws:iam::${acct}:role/ecsTaskExecutionRole`;
  const td = registerTaskDefinition(
    state,
    {
      family,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      executionRoleArn,
      containerDefinitions: [
        {
          name: containerName,
          image,
          essential: true,
          portMappings: [{ containerPort, protocol: 'tcp' }],
          environment: [
            { name: 'APP_ENV', value: 'production' },
            { name: 'DATABASE_PASSWORD', value: 'hunter2-not-a-real-secret' },
          ],
          secrets: [
            {
              name: 'API_TOKEN',
              valueFrom: `arn:aws:secretsmanager:${region}:${acct}:secret:${family}/api-token-AbCdEf`,
            },
          ],
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': `/ecs/${family}`,
              'awslogs-region': region,
              'awslogs-stream-prefix': 'ecs',
            },
          },
        },
      ],
    },
    now,
    `arn:aws:iam::${acct}:root`,
  );

  const lbName = `${cluster}-${service}-alb`.slice(0, 32);
  const lbId = randomHex(16);
  const loadBalancerArn = `arn:aws:elasticloadbalancing:${region}:${acct}:loadbalancer/app/${lbName}/${lbId}`;
  const dnsName = `${lbName}-${randomDigits(10)}.${region}.elb.amazonaws.com`;
  state.loadBalancers.set(loadBalancerArn, {
    arn: loadBalancerArn,
    name: lbName,
    dnsName,
    createdTime: now,
    vpcId: 'vpc-0emulator',
  });
  const tgNames: [string, string] = [`${service}-blue`.slice(0, 32), `${service}-green`.slice(0, 32)];
  const tgArns = tgNames.map(
    (n) => `arn:aws:elasticloadbalancing:${region}:${acct}:targetgroup/${n}/${randomHex(16)}`,
  ) as [string, string];
  tgNames.forEach((name, i) =>
    state.targetGroups.set(tgArns[i]!, { arn: tgArns[i]!, name, port: containerPort }),
  );
  const prodListenerArn = `arn:aws:elasticloadbalancing:${region}:${acct}:listener/app/${lbName}/${lbId}/${randomHex(16)}`;
  state.listeners.set(prodListenerArn, {
    arn: prodListenerArn,
    loadBalancerArn,
    port: 80,
    protocol: 'HTTP',
    forward: [{ targetGroupArn: tgArns[0], weight: 1 }],
  });
  let testListenerArn: string | undefined;
  if (withTest) {
    testListenerArn = `arn:aws:elasticloadbalancing:${region}:${acct}:listener/app/${lbName}/${lbId}/${randomHex(16)}`;
    state.listeners.set(testListenerArn, {
      arn: testListenerArn,
      loadBalancerArn,
      port: 8080,
      protocol: 'HTTP',
      forward: [{ targetGroupArn: tgArns[0], weight: 1 }],
    });
  }

  const networkConfiguration = {
    awsvpcConfiguration: {
      subnets: ['subnet-0emulator0000001', 'subnet-0emulator0000002'],
      securityGroups: ['sg-0emulator0000001'],
      assignPublicIp: 'DISABLED',
    },
  };
  const taskSetId = `ecs-svc/${randomDigits(19)}`;
  const svcArn = serviceArn(state, cluster, service);
  state.services.set(`${cluster}/${service}`, {
    clusterName: cluster,
    serviceName: service,
    serviceArn: svcArn,
    status: 'ACTIVE',
    desiredCount,
    taskDefinition: td.taskDefinitionArn,
    launchType: 'FARGATE',
    platformVersion: 'LATEST',
    deploymentController: o.controller ?? 'CODE_DEPLOY',
    loadBalancers: [{ targetGroupArn: tgArns[0], containerName, containerPort }],
    networkConfiguration,
    createdAt: now,
    taskSets: [
      {
        id: taskSetId,
        taskSetArn: `arn:aws:ecs:${region}:${acct}:task-set/${cluster}/${service}/${taskSetId}`,
        status: 'PRIMARY',
        taskDefinition: td.taskDefinitionArn,
        startedBy: 'CODE_DEPLOY',
        targetGroupArn: tgArns[0],
        containerName,
        containerPort,
        computedDesiredCount: desiredCount,
        pendingCount: 0,
        runningCount: desiredCount,
        stabilityStatus: 'STEADY_STATE',
        trafficWeight: 100,
        platformVersion: '1.4.0',
        networkConfiguration,
        createdAt: now,
        updatedAt: now,
      },
    ],
  });

  state.applications.set(application, {
    applicationId: uuid(),
    applicationName: application,
    createTime: now,
    computePlatform: 'ECS',
  });
  state.deploymentGroups.set(`${application}/${deploymentGroup}`, {
    applicationName: application,
    deploymentGroupId: uuid(),
    deploymentGroupName: deploymentGroup,
    deploymentConfigName: deploymentConfig,
    serviceRoleArn: `arn:aws:iam::${acct}:role/ecsCodeDeployRole`,
    autoRollbackConfiguration: autoRollback,
    readyOption,
    terminationWaitMinutes,
    ecsService: { serviceName: service, clusterName: cluster },
    targetGroupNames: tgNames,
    prodListenerArn,
    ...(testListenerArn ? { testListenerArn } : {}),
  });
  for (const fn of Object.values(o.hooks ?? {})) if (!state.lambdas.has(fn)) state.lambdas.set(fn, 'succeed');

  return {
    cluster,
    clusterArn: clusterArn(state, cluster),
    service,
    serviceArn: svcArn,
    family,
    taskDefinitionArn: td.taskDefinitionArn,
    containerName,
    containerPort,
    application,
    deploymentGroup,
    deploymentConfig,
    loadBalancerArn,
    loadBalancerDnsName: dnsName,
    prodListenerArn,
    ...(testListenerArn ? { testListenerArn } : {}),
    targetGroupArns: tgArns,
    targetGroupNames: tgNames,
    primaryTaskSetId: taskSetId,
  };
}

/**
 * A role in the account. With `policies`, IAM enforces them for its sessions (emulator/iam.ts); without, every
 * call of a session is allowed. Seeding a role of the same name again replaces it (same ARN and role id).
 */
export function seedRole(
  state: EmulatorState,
  o: { name: string; trustPolicy: object; policies?: IdentityPolicy[] },
): { arn: string } {
  const arn = `arn:aws:iam::${state.accountId}:role/${o.name}`;
  const roleId = state.roles.get(arn)?.roleId ?? `AROA${randomString(17)}`;
  state.roles.set(arn, {
    name: o.name,
    arn,
    roleId,
    trustPolicy: o.trustPolicy,
    ...(o.policies ? { policies: o.policies } : {}),
  });
  return { arn };
}

/** The roles of infra/github-oidc-roles.yml for these stack parameters, created in this account and region. */
export function seedTemplateRoles(
  state: EmulatorState,
  parameters: Record<string, string>,
): Partial<Record<RoleKey, TemplateRole>> {
  const roles = renderTemplateRoles({ accountId: state.accountId, region: state.region, parameters });
  for (const role of Object.values(roles))
    seedRole(state, { name: role.name, trustPolicy: role.trustPolicy, policies: role.policies });
  return roles;
}

export function seedLambda(state: EmulatorState, name: string, behavior: LambdaBehavior = 'succeed'): void {
  state.lambdas.set(name, behavior);
}
