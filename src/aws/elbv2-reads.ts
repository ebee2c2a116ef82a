/**
 * ELBv2 reads for ECS-native blue/green: the listener rules that must hold both target groups (DG
 * `migrate-code-deploy-to-ecs-blue-green`, "Both targetGroup and alternateTargetGroup must be associated with
 * the productionListenerRule or testListenerRule"), and target group ARNs by name (CodeDeploy deployment
 * groups name their target groups; ECS wants ARNs). Only Describe calls happen here. Shared by the plan's
 * ECS view and migration check, and by the ECS-native deploy preflight.
 */
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  type Action,
  type ElasticLoadBalancingV2Client,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';

export interface ListenerRuleInfo {
  ruleArn: string;
  isDefault: boolean;
  priority?: string;
  /** every target group a forward action of the rule names (ForwardConfig or the single TargetGroupArn) */
  targetGroupArns: string[];
  /** action types other than forward (DG `alb-resources-for-blue-green`: mixed actions fail the deployment) */
  otherActions: string[];
}

/** Every target group the forward actions name (ForwardConfig or the single TargetGroupArn). */
export function forwardTargetGroupArns(actions: Action[] | undefined): string[] {
  const groups = new Set<string>();
  for (const action of actions ?? []) {
    if (action.Type !== 'forward') continue;
    if (action.TargetGroupArn) groups.add(action.TargetGroupArn);
    for (const tg of action.ForwardConfig?.TargetGroups ?? [])
      if (tg.TargetGroupArn) groups.add(tg.TargetGroupArn);
  }
  return [...groups];
}

function ruleInfo(rule: Rule): ListenerRuleInfo {
  return {
    ruleArn: rule.RuleArn ?? '',
    isDefault: rule.IsDefault ?? false,
    priority: rule.Priority,
    targetGroupArns: forwardTargetGroupArns(rule.Actions),
    otherActions: (rule.Actions ?? []).flatMap((a) => (a.Type && a.Type !== 'forward' ? [a.Type] : [])),
  };
}

/** The rules of one listener (all pages), or the rules named by ARN. */
export async function describeRules(
  elbv2: ElasticLoadBalancingV2Client,
  of: { listenerArn: string } | { ruleArns: string[] },
): Promise<ListenerRuleInfo[]> {
  const rules: ListenerRuleInfo[] = [];
  let marker: string | undefined;
  do {
    const page = await elbv2.send(
      new DescribeRulesCommand({
        ...('listenerArn' in of ? { ListenerArn: of.listenerArn } : { RuleArns: of.ruleArns }),
        Marker: marker,
      }),
    );
    rules.push(...(page.Rules ?? []).map(ruleInfo));
    marker = page.NextMarker;
  } while (marker);
  return rules;
}

/** The target groups a listener's default actions forward to (an NLB listener stands where ALBs have a rule). */
export async function listenerTargetGroupArns(
  elbv2: ElasticLoadBalancingV2Client,
  listenerArn: string,
): Promise<string[]> {
  const out = await elbv2.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }));
  return forwardTargetGroupArns(out.Listeners?.[0]?.DefaultActions);
}

/** Target group ARNs by name; a name ELBv2 does not know is left out of the map. */
export async function targetGroupArnsByName(
  elbv2: ElasticLoadBalancingV2Client,
  names: string[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  if (names.length === 0) return found;
  const response = await elbv2.send(new DescribeTargetGroupsCommand({ Names: names }));
  for (const tg of response.TargetGroups ?? [])
    if (tg.TargetGroupName && tg.TargetGroupArn) found.set(tg.TargetGroupName, tg.TargetGroupArn);
  return found;
}

/** `targetgroup/<name>/<id>` → name. */
export function targetGroupName(arn: string | undefined): string | undefined {
  return arn ? /:targetgroup\/([^/]+)\//.exec(arn)?.[1] : undefined;
}

/** `listener/net/…` is a Network Load Balancer listener; `listener/app/…` an Application Load Balancer's. */
export function listenerKind(arn: string | undefined): 'alb' | 'nlb' | undefined {
  const m = arn ? /:listener(?:-rule)?\/(app|net)\//.exec(arn) : null;
  return m ? (m[1] === 'net' ? 'nlb' : 'alb') : undefined;
}
