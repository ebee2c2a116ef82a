/**
 * The migration check (plan input `check-migration`): what a CODE_DEPLOY service lacks for ECS-native
 * blue/green, and the `aws ecs update-service` call and CloudFormation change that would switch it. Read only:
 * the facts come from the deploy plan (DescribeServices, GetDeploymentGroup, GetDeploymentConfig,
 * ListDeployments) and two ELBv2 Describe calls; nothing here changes AWS.
 *
 * Each item cites its source (keys of the project's reference notes, ecs-native-deployments.md, kept outside this repository): DG-MIG =
 * migrate-code-deploy-to-ecs-blue-green, DG-TRB = troubleshooting-deployment-controller-migration, DG-INFRA =
 * AmazonECSInfrastructureRolePolicyForLoadBalancers, DG-PAUSE, DG-LAMBDA, DG-ALB, SDK `AdvancedConfiguration`,
 * SAR (iam:PassRole on UpdateService). [U] marks what is unconfirmed.
 */
import type { Service } from '@aws-sdk/client-ecs';
import type { DeploymentGroupInfo } from '@aws-sdk/client-codedeploy';
import type { AwsClients } from '../aws/clients.js';
import type { TrafficRouting } from '../aws/codedeploy-reads.js';
import { awsErrorName } from '../aws/errors.js';
import { escapeMarkdown, fenced } from '../action/markdown.js';
import {
  describeRules,
  listenerKind,
  targetGroupArnsByName,
  targetGroupName,
  type ListenerRuleInfo,
} from '../aws/elbv2-reads.js';

/** ECS's bakeTimeInMinutes range is 0–1440 (SDK `DeploymentConfiguration`). */
const MAX_BAKE_MINUTES = 1440;

export const ROLE_PLACEHOLDER = '<ROLE_ARN: an IAM role ECS assumes to manage the load balancer>';

export interface MigrationFacts {
  service: Service;
  group: DeploymentGroupInfo;
  routing?: TrafficRouting;
  readyWaitMinutes?: number;
  terminationWaitMinutes: number;
  activeDeploymentId?: string;
  appSpecHooks: { event: string; functionName: string }[];
  /** the alternate (green) target group's ARN, when ELBv2 named it */
  alternateTargetGroupArn?: string;
  /** rules of the production and test listeners, when ELBv2 answered; a string says why not */
  productionRules?: ListenerRuleInfo[] | string;
  testRules?: ListenerRuleInfo[] | string;
}

export type CheckState = 'ok' | 'missing' | 'unknown';

export interface MigrationItem {
  state: CheckState;
  text: string;
  source: string;
}

export interface MigrationCheck {
  items: MigrationItem[];
  /** the values the switch uses (real where known, placeholders otherwise) */
  values: {
    productionTargetGroupArn: string;
    alternateTargetGroupArn: string;
    productionListenerRule: string;
    testListenerRule?: string;
    roleArn: string;
    containerName: string;
    containerPort: number | string;
  };
  deploymentConfiguration: Record<string, unknown>;
  cli: string;
  cloudFormation: string;
}

/** The target group the primary task set serves production from (CodeDeploy alternates between the two). */
function productionTargetGroup(service: Service): string | undefined {
  const primary = service.taskSets?.find((t) => t.status === 'PRIMARY');
  return primary?.loadBalancers?.[0]?.targetGroupArn ?? service.loadBalancers?.[0]?.targetGroupArn;
}

function pickRule(
  rules: ListenerRuleInfo[] | string | undefined,
  productionTg: string | undefined,
  what: string,
  listenerArn: string | undefined,
  items: MigrationItem[],
): string {
  const placeholder = `<${what.toUpperCase().replace(/ /g, '_')}_RULE_ARN: a rule of listener ${listenerArn ?? '?'} forwarding to both target groups>`;
  if (!listenerArn) return placeholder;
  if (listenerKind(listenerArn) === 'nlb') {
    items.push({
      state: 'ok',
      text: `The ${what} listener is a Network Load Balancer listener: its ARN is the ${what} listener rule.`,
      source: 'SDK AdvancedConfiguration',
    });
    return listenerArn;
  }
  if (typeof rules === 'string' || rules === undefined) {
    items.push({
      state: 'unknown',
      text: `The rules of the ${what} listener could not be read (${rules ?? 'not read'}): ECS needs a listener RULE (not the listener) that holds the target groups.`,
      source: 'DG-MIG',
    });
    return placeholder;
  }
  const custom = rules.filter(
    (r) => !r.isDefault && (!productionTg || r.targetGroupArns.includes(productionTg)),
  );
  const chosen = custom[0] ?? rules.find((r) => !r.isDefault && r.targetGroupArns.length > 0);
  if (!chosen) {
    items.push({
      state: 'missing',
      text: `The ${what} listener forwards only through its default action: create a listener rule (e.g. path /*) that forwards to both target groups, weights 1 and 0. Whether ECS accepts the default rule is unconfirmed.`,
      source: 'DG-MIG',
    });
    return placeholder;
  }
  if (chosen.otherActions.length)
    items.push({
      state: 'missing',
      text: `Listener rule ${chosen.ruleArn} mixes forward with ${chosen.otherActions.join(', ')}: the deployment would fail.`,
      source: 'DG-ALB',
    });
  return chosen.ruleArn;
}

/** Everything the service lacks, and the switch, from facts already read. */
export function migrationCheck(facts: MigrationFacts): MigrationCheck {
  const { service, group } = facts;
  const items: MigrationItem[] = [];
  const sets = service.taskSets ?? [];
  const primary = sets.filter((t) => t.status === 'PRIMARY');
  items.push(
    sets.length === 1 && primary.length === 1
      ? { state: 'ok', text: 'The service has exactly one task set, and it is PRIMARY.', source: 'DG-TRB' }
      : {
          state: 'missing',
          text: `The service has ${sets.length} task sets (${primary.length} PRIMARY); the switch needs exactly one, primary ("Updating the deployment controller is not supported when there are multiple tasksets…" / "…requires a primary taskset…"). Let the deployment in flight finish first.`,
          source: 'DG-TRB',
        },
  );
  items.push(
    facts.activeDeploymentId
      ? {
          state: 'missing',
          text: `CodeDeploy deployment ${facts.activeDeploymentId} is in flight; no deployment may be in progress when the controller changes.`,
          source: 'DG-MIG',
        }
      : { state: 'ok', text: 'No CodeDeploy deployment is in flight.', source: 'DG-MIG' },
  );

  const pair = group.loadBalancerInfo?.targetGroupPairInfoList?.[0];
  const prodTg = productionTargetGroup(service);
  const prodName = targetGroupName(prodTg);
  const otherName = (pair?.targetGroups ?? []).map((t) => t.name).find((n) => n && n !== prodName);
  const alternate =
    facts.alternateTargetGroupArn ??
    `<ALTERNATE_TARGET_GROUP_ARN: the ARN of target group '${otherName ?? '?'}', CodeDeploy's second target group>`;
  items.push(
    otherName
      ? {
          state: facts.alternateTargetGroupArn ? 'ok' : 'unknown',
          text: `CodeDeploy's second target group '${otherName}' becomes loadBalancers[].advancedConfiguration.alternateTargetGroupArn${facts.alternateTargetGroupArn ? '' : ' (its ARN could not be read: fill it in)'}.`,
          source: 'DG-MIG, SDK AdvancedConfiguration',
        }
      : {
          state: 'missing',
          text: 'The deployment group names no second target group: create one for green (alternateTargetGroupArn).',
          source: 'DG-MIG',
        },
  );

  const prodListener = pair?.prodTrafficRoute?.listenerArns?.[0];
  const testListener = pair?.testTrafficRoute?.listenerArns?.[0];
  const productionListenerRule = pickRule(facts.productionRules, prodTg, 'production', prodListener, items);
  const testListenerRule = testListener
    ? pickRule(facts.testRules, prodTg, 'test', testListener, items)
    : undefined;
  // Without a test rule both groups must be on the production rule; with one, between the two (DG-MIG).
  const rulesRead = [facts.productionRules, testListener ? facts.testRules : []];
  if (rulesRead.every((r) => Array.isArray(r)) && listenerKind(prodListener) !== 'nlb') {
    const named = [productionListenerRule, testListenerRule];
    const held = new Set(
      rulesRead
        .flatMap((r) => (r as ListenerRuleInfo[]).filter((x) => named.includes(x.ruleArn)))
        .flatMap((x) => x.targetGroupArns),
    );
    const lacking = [prodTg, facts.alternateTargetGroupArn].filter(
      (tg): tg is string => !!tg && !held.has(tg),
    );
    items.push(
      lacking.length === 0 && facts.alternateTargetGroupArn
        ? {
            state: 'ok',
            text: 'Both target groups are on the production or test listener rule.',
            source: 'DG-MIG',
          }
        : {
            state: 'missing',
            text: `${lacking.length ? `Target group ${lacking.map((t) => targetGroupName(t) ?? t).join(' and ')} is` : 'The alternate target group is'} on neither listener rule: add it to the rule's forward action (weight 0), or the first deployment rolls back with "Both targetGroup and alternateTargetGroup must be associated with the productionListenerRule or testListenerRule."`,
            source: 'DG-MIG',
          },
    );
  }

  items.push({
    state: 'missing',
    text: `An infrastructure IAM role that trusts ecs.amazonaws.com and has the managed policy AmazonECSInfrastructureRolePolicyForLoadBalancers replaces the CodeDeploy service role${group.serviceRoleArn ? ` (${group.serviceRoleArn})` : ''}; it goes in advancedConfiguration.roleArn. Whoever runs the switch needs iam:PassRole on it (iam:PassedToService ecs.amazonaws.com).`,
    source: 'DG-MIG, DG-INFRA, SAR',
  });
  if (facts.appSpecHooks.length)
    items.push({
      state: 'missing',
      text: `AppSpec hooks do not carry over: recreate ${facts.appSpecHooks.map((h) => `${h.event} → ${h.functionName}`).join(', ')} as ECS lifecycle hooks (the Lambda returns hookStatus instead of calling PutLifecycleEventHookExecutionStatus), with a role ECS assumes to invoke them.`,
      source: 'DG-MIG, DG-LAMBDA',
    });
  items.push({
    state: 'missing',
    text: `Turn off CodeDeploy automation for deployment group '${group.deploymentGroupName ?? '?'}' (triggers, automatic rollback, pipelines that call CreateDeployment): after the switch its deployments of this service fail.`,
    source: 'DG-MIG',
  });

  // CodeDeploy settings → ECS deployment configuration (ref §1 table).
  const config: Record<string, unknown> = {};
  const routing = facts.routing;
  if (routing?.type === 'TimeBasedLinear') {
    config.strategy = 'LINEAR';
    config.linearConfiguration = {
      stepPercent: Math.max(3, routing.percentage ?? 10),
      stepBakeTimeInMinutes: routing.intervalMinutes ?? 6,
    };
    if ((routing.percentage ?? 10) < 3)
      items.push({
        state: 'missing',
        text: `The CodeDeploy config shifts ${routing.percentage} % per step; ECS's stepPercent is at least 3.0 (shown as 3).`,
        source: 'SDK LinearConfiguration',
      });
  } else if (routing?.type === 'TimeBasedCanary') {
    config.strategy = 'CANARY';
    config.canaryConfiguration = {
      canaryPercent: routing.percentage ?? 5,
      canaryBakeTimeInMinutes: routing.intervalMinutes ?? 10,
    };
  } else config.strategy = 'BLUE_GREEN';
  // CodeDeploy's termination wait is ECS's bake time (ref §1: "Termination wait → bakeTimeInMinutes"). The
  // ECS API reference: "You must provide this parameter when you use the BLUE_GREEN deployment strategy",
  // within 0–1440 minutes; CodeDeploy's termination wait goes up to 2880 (SDK DeploymentConfiguration).
  config.bakeTimeInMinutes = Math.min(MAX_BAKE_MINUTES, facts.terminationWaitMinutes);
  items.push(
    facts.terminationWaitMinutes > MAX_BAKE_MINUTES
      ? {
          state: 'missing',
          text: `bakeTimeInMinutes, which ECS requires for BLUE_GREEN, is at most ${MAX_BAKE_MINUTES} minutes; the group's termination wait is ${facts.terminationWaitMinutes}: the switch below sets ${MAX_BAKE_MINUTES}. Choose a value you want.`,
          source: 'SDK DeploymentConfiguration',
        }
      : {
          state: 'ok',
          text: `bakeTimeInMinutes, which ECS requires for BLUE_GREEN, is the group's termination wait: ${facts.terminationWaitMinutes} min.`,
          source: 'SDK DeploymentConfiguration, ref §1',
        },
  );
  if (facts.readyWaitMinutes !== undefined) {
    // CodeDeploy's "Ready" wait → a PAUSE hook after test traffic moves (ref §1, §6; DG-PAUSE, since 2026-05-19).
    config.lifecycleHooks = [
      {
        targetType: 'PAUSE',
        lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
        timeoutConfiguration: { timeoutInMinutes: Math.max(1, facts.readyWaitMinutes), action: 'ROLLBACK' },
      },
    ];
  }
  const alarmNames = (group.alarmConfiguration?.alarms ?? [])
    .map((a) => a.name)
    .filter((n): n is string => !!n);
  if (group.alarmConfiguration?.enabled && alarmNames.length)
    config.alarms = { alarmNames, enable: true, rollback: true };

  const lb = service.loadBalancers?.[0];
  const values = {
    productionTargetGroupArn: prodTg ?? '<PRODUCTION_TARGET_GROUP_ARN>',
    alternateTargetGroupArn: alternate,
    productionListenerRule,
    ...(testListenerRule ? { testListenerRule } : {}),
    roleArn: ROLE_PLACEHOLDER,
    containerName: lb?.containerName ?? '<CONTAINER_NAME>',
    containerPort: lb?.containerPort ?? '<CONTAINER_PORT>',
  };
  const loadBalancers = [
    {
      targetGroupArn: values.productionTargetGroupArn,
      containerName: values.containerName,
      containerPort: values.containerPort,
      advancedConfiguration: {
        alternateTargetGroupArn: values.alternateTargetGroupArn,
        productionListenerRule: values.productionListenerRule,
        ...(values.testListenerRule ? { testListenerRule: values.testListenerRule } : {}),
        roleArn: values.roleArn,
      },
    },
  ];
  const clusterName = /:cluster\/(.+)$/.exec(service.clusterArn ?? '')?.[1] ?? '<CLUSTER>';
  const q = (v: unknown) => `'${JSON.stringify(v)}'`;
  const cli = [
    'aws ecs update-service \\',
    `  --cluster ${clusterName} --service ${service.serviceName ?? '<SERVICE>'} \\`,
    `  --deployment-controller ${q({ type: 'ECS' })} \\`,
    `  --deployment-configuration ${q(config)} \\`,
    `  --load-balancers ${q(loadBalancers)}`,
  ].join('\n');
  return {
    items,
    values,
    deploymentConfiguration: config,
    cli,
    cloudFormation: cloudFormationSnippet(values, config),
  };
}

function yamlValue(v: unknown): string {
  return typeof v === 'string' && /^[A-Za-z0-9_.:/-]+$/.test(v) ? v : JSON.stringify(v);
}

const capitalised = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

function cloudFormationSnippet(values: MigrationCheck['values'], config: Record<string, unknown>): string {
  const lines = [
    '# AWS::ECS::Service properties (CFN aws-properties-ecs-service-*; whether changing DeploymentController.Type',
    '# replaces the service on update is unconfirmed: older template pages said "Replacement")',
    'DeploymentController:',
    '  Type: ECS',
    'DeploymentConfiguration:',
    `  Strategy: ${String(config.strategy)}`,
    `  BakeTimeInMinutes: ${String(config.bakeTimeInMinutes)}`,
  ];
  // linearConfiguration / canaryConfiguration: the same fields, capitalised (CFN DeploymentConfiguration).
  for (const key of ['linearConfiguration', 'canaryConfiguration']) {
    const block = config[key] as Record<string, number> | undefined;
    if (!block) continue;
    lines.push(`  ${capitalised(key)}:`);
    for (const [field, value] of Object.entries(block)) lines.push(`    ${capitalised(field)}: ${value}`);
  }
  const alarms = config.alarms as { alarmNames: string[] } | undefined;
  if (alarms)
    lines.push(
      '  Alarms:',
      `    AlarmNames: [${alarms.alarmNames.map(yamlValue).join(', ')}]`,
      '    Enable: true',
      '    Rollback: true',
    );
  const hooks = config.lifecycleHooks as { timeoutConfiguration: { timeoutInMinutes: number } }[] | undefined;
  if (hooks?.[0])
    lines.push(
      '  LifecycleHooks:',
      '    - TargetType: PAUSE',
      '      LifecycleStages: [POST_TEST_TRAFFIC_SHIFT]',
      `      TimeoutConfiguration: { TimeoutInMinutes: ${hooks[0].timeoutConfiguration.timeoutInMinutes}, Action: ROLLBACK }`,
    );
  lines.push(
    'LoadBalancers:',
    `  - ContainerName: ${yamlValue(values.containerName)}`,
    `    ContainerPort: ${yamlValue(values.containerPort)}`,
    `    TargetGroupArn: ${yamlValue(values.productionTargetGroupArn)}`,
    '    AdvancedConfiguration:',
    `      AlternateTargetGroupArn: ${yamlValue(values.alternateTargetGroupArn)}`,
    `      ProductionListenerRule: ${yamlValue(values.productionListenerRule)}`,
    ...(values.testListenerRule ? [`      TestListenerRule: ${yamlValue(values.testListenerRule)}`] : []),
    `      RoleArn: ${yamlValue(values.roleArn)}`,
  );
  return lines.join('\n');
}

/** The sources' short keys (the project's reference notes) in the words of AWS's pages, for the summary. */
const SOURCE_WORDS: Record<string, string> = {
  'DG-MIG': 'ECS Developer Guide, migrating from CodeDeploy blue/green to ECS blue/green',
  'DG-ALB': 'ECS Developer Guide, blue/green with an Application Load Balancer',
  'DG-TRB': 'ECS Developer Guide, troubleshooting blue/green deployments',
  'DG-INFRA': 'ECS Developer Guide, the infrastructure IAM role',
  'DG-LAMBDA': 'ECS Developer Guide, lifecycle hooks with Lambda functions',
  SAR: 'Service Authorization Reference',
};

/** "DG-MIG, SDK AdvancedConfiguration" → the pages' names; reference-note section marks left out. */
export function sourceWords(source: string): string {
  return source
    .split(/,\s*/)
    .filter((part) => !/^ref §/.test(part))
    .map((part) => SOURCE_WORDS[part] ?? part.replace(/^SDK /, 'AWS SDK ').replace(/, ref §\d+$/, ''))
    .join('; ');
}

/** Reads what ELBv2 can tell (target group ARN, listener rules); any refusal leaves a placeholder. */
export async function readMigrationFacts(
  clients: AwsClients,
  facts: Omit<MigrationFacts, 'alternateTargetGroupArn' | 'productionRules' | 'testRules'>,
): Promise<MigrationFacts> {
  const pair = facts.group.loadBalancerInfo?.targetGroupPairInfoList?.[0];
  const prodName = targetGroupName(productionTargetGroup(facts.service));
  const otherName = (pair?.targetGroups ?? []).map((t) => t.name).find((n) => n && n !== prodName);
  const result: MigrationFacts = { ...facts };
  if (otherName) {
    try {
      result.alternateTargetGroupArn = (await targetGroupArnsByName(clients.elbv2(), [otherName])).get(
        otherName,
      );
    } catch {
      // left as a placeholder: the check says so
    }
  }
  const rules = async (listenerArn: string | undefined): Promise<ListenerRuleInfo[] | string | undefined> => {
    if (!listenerArn || listenerKind(listenerArn) === 'nlb') return undefined;
    try {
      return await describeRules(clients.elbv2(), { listenerArn });
    } catch (error) {
      return awsErrorName(error);
    }
  };
  result.productionRules = await rules(pair?.prodTrafficRoute?.listenerArns?.[0]);
  result.testRules = await rules(pair?.testTrafficRoute?.listenerArns?.[0]);
  return result;
}

const MARK: Record<CheckState, string> = { ok: '✅', missing: '❌', unknown: '❔' };

export function renderMigrationCheck(check: MigrationCheck): string {
  return [
    '### Migration check: CodeDeploy → ECS blue/green (read only)',
    '',
    "Per AWS's migration guide (DG migrate-code-deploy-to-ecs-blue-green); nothing was changed.",
    '',
    ...check.items.map(
      (i) => `- ${MARK[i.state]} ${escapeMarkdown(i.text)} _(${escapeMarkdown(sourceWords(i.source))})_`,
    ),
    '',
    'The switch, once the ❌ items are done (`<…>` are placeholders to fill in):',
    '',
    ...fenced(check.cli, 'sh'),
    '',
    'Or in CloudFormation:',
    '',
    ...fenced(check.cloudFormation, 'yaml'),
  ].join('\n');
}
