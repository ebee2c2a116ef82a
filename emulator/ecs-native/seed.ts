import { registerTaskDefinition } from '../ecs.js';
import {
  clusterArn,
  randomDigits,
  randomHex,
  randomString,
  serviceArn,
  type EmulatorState,
  type Service,
} from '../state.js';
import {
  DEFAULT_NATIVE_TIMING,
  type LifecycleStage,
  type NativeStrategy,
  type NativeTiming,
} from './stages.js';
import { applyMissingBakeTime, mergeConfig, defaultConfig } from './config.js';
import { newRevision, createDeployment } from './machine.js';
import {
  type AdvancedConfiguration,
  type NativeLoadBalancer,
  type HookOutcome,
  type FailTasks,
  type NativeReadings,
  type NativeService,
  DEFAULT_READINGS,
  nativeState,
  addEvent,
} from './model.js';
import { launchTasks } from './tasks.js';

// ───────────────────────────── seeding ─────────────────────────────

export type Misconfiguration =
  'missing-advanced-configuration' | 'missing-role' | 'target-groups-not-on-rules';

export interface NativeServiceOptions {
  cluster?: string;
  service?: string;
  family?: string;
  containerName?: string;
  containerPort?: number;
  desiredCount?: number;
  strategy?: NativeStrategy;
  /** default 5 (none for ROLLING); null seeds a service without one, as AWS's pages disagree on (NativeReadings) */
  bakeTimeInMinutes?: number | null;
  linearConfiguration?: { stepPercent?: number; stepBakeTimeInMinutes?: number };
  canaryConfiguration?: { canaryPercent?: number; canaryBakeTimeInMinutes?: number };
  /** as the API takes them; Lambda functions named by hookTargetArn are seeded to succeed unless seeded already */
  lifecycleHooks?: {
    targetType?: 'AWS_LAMBDA' | 'PAUSE';
    hookTargetArn?: string;
    roleArn?: string;
    lifecycleStages: LifecycleStage[];
    hookDetails?: unknown;
    timeoutConfiguration?: { timeoutInMinutes?: number; action?: 'ROLLBACK' | 'CONTINUE' };
  }[];
  deploymentCircuitBreaker?: {
    enable: boolean;
    rollback: boolean;
    thresholdConfiguration?: { type?: string; value?: number };
  };
  alarms?: { alarmNames: string[]; enable: boolean; rollback: boolean };
  withTestListenerRule?: boolean;
  /** a setup that UpdateService accepts but that fails while the deployment runs */
  misconfiguration?: Misconfiguration;
  hookOutcomes?: Partial<Record<LifecycleStage, HookOutcome>>;
  failTasks?: FailTasks;
  staleCurrentDeploymentMs?: number;
  listLagMs?: number;
  timing?: Partial<NativeTiming>;
  /** which of AWS's contradicting pages the emulator follows for this service */
  readings?: Partial<NativeReadings>;
}

export interface SeededNativeService {
  cluster: string;
  clusterArn: string;
  service: string;
  serviceArn: string;
  family: string;
  taskDefinitionArn: string;
  containerName: string;
  containerPort: number;
  strategy: NativeStrategy;
  loadBalancerArn: string;
  loadBalancerDnsName: string;
  prodListenerArn: string;
  testListenerArn: string;
  productionListenerRuleArn: string;
  testListenerRuleArn?: string;
  targetGroupArns: [string, string];
  infrastructureRoleArn: string;
  hookRoleArn: string;
  serviceRevisionArn: string;
  /** the SUCCESSFUL deployment that created the service */
  initialDeploymentArn: string;
}

const ECS_TRUST = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

function ensureRole(state: EmulatorState, name: string): string {
  const arn = `arn:aws:iam::${state.accountId}:role/${name}`;
  if (!state.roles.has(arn))
    state.roles.set(arn, { name, arn, roleId: `AROA${randomString(17)}`, trustPolicy: ECS_TRUST });
  return arn;
}

export function listenerRule(state: EmulatorState, listenerArn: string, targetGroupArns: string[]): string {
  const ns = nativeState(state);
  const l = state.listeners.get(listenerArn);
  if (!l) throw new Error(`emulator: no listener ${listenerArn}`);
  const arn = listenerArn.replace(':listener/', ':listener-rule/') + `/${randomHex(16)}`;
  ns.rules.set(arn, {
    arn,
    listenerArn,
    forward: targetGroupArns.map((targetGroupArn, i) => ({ targetGroupArn, weight: i === 0 ? 100 : 0 })),
  });
  return arn;
}

export function seedEcsNativeService(
  state: EmulatorState,
  now: number,
  o: NativeServiceOptions = {},
): SeededNativeService {
  const ns = nativeState(state);
  const strategy = o.strategy ?? 'BLUE_GREEN';
  const cluster = o.cluster ?? 'demo';
  const service = o.service ?? `web-${strategy.toLowerCase().replace('_', '-')}`;
  const family = o.family ?? service;
  const containerName = o.containerName ?? 'web';
  const containerPort = o.containerPort ?? 8080;
  const desiredCount = o.desiredCount ?? 2;
  const acct = state.accountId;
  const region = state.region;
  state.clusters.set(cluster, { clusterName: cluster, clusterArn: clusterArn(state, cluster) });
  const td = registerTaskDefinition(
    state,
    {
      family,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      executionRoleArn: `arn:aws:iam::${acct}:role/ecsTaskExecutionRole`,
      containerDefinitions: [
        {
          name: containerName,
          image: `${acct}.dkr.ecr.${region}.amazonaws.com/${family}:v1`,
          essential: true,
          portMappings: [{ containerPort, protocol: 'tcp' }],
        },
      ],
    },
    now,
    `arn:aws:iam::${acct}:root`,
  );
  const lbName = `${cluster}-${service}`.slice(0, 32);
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
  const tgNames = [`${service}-blue`.slice(0, 32), `${service}-green`.slice(0, 32)];
  const tgArns = tgNames.map(
    (nm) => `arn:aws:elasticloadbalancing:${region}:${acct}:targetgroup/${nm}/${randomHex(16)}`,
  ) as [string, string];
  tgNames.forEach((name, i) =>
    state.targetGroups.set(tgArns[i]!, { arn: tgArns[i]!, name, port: containerPort }),
  );
  const listener = (port: number) => {
    const arn = `arn:aws:elasticloadbalancing:${region}:${acct}:listener/app/${lbName}/${lbId}/${randomHex(16)}`;
    state.listeners.set(arn, {
      arn,
      loadBalancerArn,
      port,
      protocol: 'HTTP',
      forward: [{ targetGroupArn: tgArns[0], weight: 1 }],
    });
    return arn;
  };
  const prodListenerArn = listener(80);
  const testListenerArn = listener(8080);
  const ruleGroups = o.misconfiguration === 'target-groups-not-on-rules' ? [tgArns[0]] : tgArns;
  const productionListenerRuleArn = listenerRule(state, prodListenerArn, ruleGroups);
  const withTest = o.withTestListenerRule ?? true;
  const testListenerRuleArn = withTest ? listenerRule(state, testListenerArn, ruleGroups) : undefined;
  const infrastructureRoleArn = ensureRole(state, 'ecsInfrastructureRoleForLoadBalancers');
  const hookRoleArn = ensureRole(state, 'ecsLifecycleHookInvokeRole');
  const advanced: AdvancedConfiguration = {
    alternateTargetGroupArn: tgArns[1],
    productionListenerRule: productionListenerRuleArn,
    ...(testListenerRuleArn ? { testListenerRule: testListenerRuleArn } : {}),
    ...(o.misconfiguration === 'missing-role' ? {} : { roleArn: infrastructureRoleArn }),
  };
  const loadBalancers: NativeLoadBalancer[] = [
    {
      targetGroupArn: tgArns[0],
      containerName,
      containerPort,
      ...(o.misconfiguration === 'missing-advanced-configuration' || strategy === 'ROLLING'
        ? {}
        : { advancedConfiguration: advanced }),
    },
  ];
  const networkConfiguration = {
    awsvpcConfiguration: {
      subnets: ['subnet-0emulator0000001', 'subnet-0emulator0000002'],
      securityGroups: ['sg-0emulator0000001'],
      assignPublicIp: 'DISABLED',
    },
  };
  const svcArn = serviceArn(state, cluster, service);
  const svc: Service = {
    clusterName: cluster,
    serviceName: service,
    serviceArn: svcArn,
    status: 'ACTIVE',
    desiredCount,
    taskDefinition: td.taskDefinitionArn,
    launchType: 'FARGATE',
    platformVersion: 'LATEST',
    deploymentController: 'ECS',
    loadBalancers: [{ targetGroupArn: tgArns[0], containerName, containerPort }],
    networkConfiguration,
    createdAt: now - 600_000,
    taskSets: [],
  };
  state.services.set(`${cluster}/${service}`, svc);
  const hooks = (o.lifecycleHooks ?? []).map((h) => ({
    ...h,
    targetType: h.targetType ?? 'AWS_LAMBDA',
    ...(h.targetType === 'PAUSE' ? {} : { roleArn: h.roleArn ?? hookRoleArn }),
  }));
  const readings: NativeReadings = { ...DEFAULT_READINGS, ...(o.readings ?? {}) };
  const merged = mergeConfig(defaultConfig(), {
    strategy,
    ...(o.bakeTimeInMinutes === null
      ? {}
      : o.bakeTimeInMinutes !== undefined
        ? { bakeTimeInMinutes: o.bakeTimeInMinutes }
        : strategy === 'ROLLING'
          ? {}
          : { bakeTimeInMinutes: 5 }),
    ...(o.linearConfiguration ? { linearConfiguration: o.linearConfiguration } : {}),
    ...(o.canaryConfiguration ? { canaryConfiguration: o.canaryConfiguration } : {}),
    lifecycleHooks: hooks,
    ...(o.deploymentCircuitBreaker ? { deploymentCircuitBreaker: o.deploymentCircuitBreaker } : {}),
    ...(o.alarms ? { alarms: o.alarms } : {}),
  });
  // a seeded service is what AWS already holds: only the CloudFormation reading changes a missing bake
  const config =
    readings.missingBakeTime === 'cloudformation' ? applyMissingBakeTime(merged, 'cloudformation') : merged;
  for (const h of hooks)
    if (h.hookTargetArn) {
      const fn = h.hookTargetArn.split(':').pop() ?? '';
      if (!state.lambdas.has(fn)) state.lambdas.set(fn, 'succeed');
    }
  const n: NativeService = {
    key: `${cluster}/${service}`,
    cluster,
    service,
    config,
    loadBalancers,
    currentRevisionArn: '',
    ecsIds: {},
    events: [],
    hookOutcomes: { ...(o.hookOutcomes ?? {}) },
    ...(o.failTasks ? { failTasks: o.failTasks } : {}),
    alarmsInAlarm: [],
    staleCurrentDeploymentMs: o.staleCurrentDeploymentMs ?? 0,
    listLagMs: o.listLagMs ?? 0,
    timing: { ...DEFAULT_NATIVE_TIMING, ...(o.timing ?? {}) },
    readings,
  };
  ns.services.set(n.key, n);
  const created = now - 600_000;
  const rev = newRevision(state, ns, svc, n, td.taskDefinitionArn, created);
  n.currentRevisionArn = rev.arn;
  // the deployment that created the service, already SUCCESSFUL (rollbacks need one, DG deployment-failure-detection)
  const initial = createDeployment(state, ns, svc, n, rev, created);
  initial.sourceRevisionArns = [];
  initial.statusHistory.push({ status: 'SUCCESSFUL', at: created + 60_000 });
  initial.status = 'SUCCESSFUL';
  initial.startedAt = created + n.timing.startDelayMs;
  initial.finishedAt = created + 60_000;
  initial.updatedAt = initial.finishedAt;
  initial.requested = { target: desiredCount, source: 0 };
  initial.weights = strategy === 'ROLLING' ? { production: 0, test: 0 } : { production: 100, test: 100 };
  initial.circuitBreaker.status = config.deploymentCircuitBreaker.enable ? 'MONITORING_COMPLETE' : 'DISABLED';
  initial.alarms.status = config.alarms.enable ? 'MONITORING_COMPLETE' : 'DISABLED';
  initial.phase = { kind: 'done' };
  launchTasks(state, ns, n, rev, desiredCount, created + 30_000, initial.ecsId, true);
  addEvent(n, initial.finishedAt, 'has reached a steady state.');
  return {
    cluster,
    clusterArn: clusterArn(state, cluster),
    service,
    serviceArn: svcArn,
    family,
    taskDefinitionArn: td.taskDefinitionArn,
    containerName,
    containerPort,
    strategy,
    loadBalancerArn,
    loadBalancerDnsName: dnsName,
    prodListenerArn,
    testListenerArn,
    productionListenerRuleArn,
    ...(testListenerRuleArn ? { testListenerRuleArn } : {}),
    targetGroupArns: tgArns,
    infrastructureRoleArn,
    hookRoleArn,
    serviceRevisionArn: rev.arn,
    initialDeploymentArn: initial.arn,
  };
}
