/**
 * ELBv2 reads for ECS-native blue/green: the listener rules that must hold both target groups (DG
 * `migrate-code-deploy-to-ecs-blue-green`, "Both targetGroup and alternateTargetGroup must be associated with
 * the productionListenerRule or testListenerRule"), and target group ARNs by name (CodeDeploy deployment
 * groups name their target groups; ECS wants ARNs), and the test listener's URL for the test gate. Only
 * Describe calls happen here.
 */
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  type Action,
  type ElasticLoadBalancingV2Client,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Runtime } from '../action/runtime.js';
import { errorMessage } from '../action/errors.js';

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

/** Target groups by name with the load balancers they serve (the health checks' CloudWatch dimensions). */
export async function targetGroupsByName(
  elbv2: ElasticLoadBalancingV2Client,
  names: string[],
): Promise<Map<string, { arn: string; loadBalancerArns: string[] }>> {
  const found = new Map<string, { arn: string; loadBalancerArns: string[] }>();
  if (names.length === 0) return found;
  const response = await elbv2.send(new DescribeTargetGroupsCommand({ Names: names }));
  for (const tg of response.TargetGroups ?? [])
    if (tg.TargetGroupName && tg.TargetGroupArn)
      found.set(tg.TargetGroupName, { arn: tg.TargetGroupArn, loadBalancerArns: tg.LoadBalancerArns ?? [] });
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

/** `protocol://dns-name:port` of the test listener, or undefined when it cannot be resolved (no listener, no permission). */
export async function resolveTestListenerUrl(
  elbv2: ElasticLoadBalancingV2Client,
  listenerArn: string,
): Promise<string | undefined> {
  const listeners = await elbv2.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }));
  const listener = listeners.Listeners?.[0];
  if (!listener?.LoadBalancerArn || !listener.Port) return undefined;
  const lbs = await elbv2.send(
    new DescribeLoadBalancersCommand({ LoadBalancerArns: [listener.LoadBalancerArn] }),
  );
  const dns = lbs.LoadBalancers?.[0]?.DNSName;
  if (!dns) return undefined;
  const scheme = listener.Protocol === 'HTTPS' || listener.Protocol === 'TLS' ? 'https' : 'http';
  const defaultPort = scheme === 'https' ? 443 : 80;
  return listener.Port === defaultPort ? `${scheme}://${dns}` : `${scheme}://${dns}:${listener.Port}`;
}

/** The test listener's URL for TEST_LISTENER_URL; none, with a warning, when it cannot be resolved. */
export async function testListenerUrl(
  rt: Pick<Runtime, 'warning'>,
  clients: { elbv2(): ElasticLoadBalancingV2Client },
  listenerArn: string | undefined,
): Promise<string | undefined> {
  if (!listenerArn) return undefined;
  return resolveTestListenerUrl(clients.elbv2(), listenerArn).catch((error: unknown) => {
    rt.warning(
      `Could not resolve the test listener URL (${errorMessage(error)}); TEST_LISTENER_URL is not set.`,
    );
    return undefined;
  });
}
