import type { EmulatorState } from '../state.js';
import type { NativeService, NativeState } from './model.js';

// ───────────────────────────── listener rules and weights ─────────────────────────────

function forwardOf(state: EmulatorState, ns: NativeState, arn: string | undefined) {
  if (!arn) return undefined;
  return ns.rules.get(arn)?.forward ?? state.listeners.get(arn)?.forward;
}

export function setForward(
  state: EmulatorState,
  ns: NativeState,
  arn: string | undefined,
  blue: string | undefined,
  green: string | undefined,
  greenWeight: number,
): void {
  if (!arn || !blue || !green) return;
  const forward = [
    { targetGroupArn: blue, weight: 100 - greenWeight },
    { targetGroupArn: green, weight: greenWeight },
  ];
  const rule = ns.rules.get(arn);
  if (rule) rule.forward = forward;
  const listener = state.listeners.get(arn);
  if (listener) listener.forward = forward;
}

/** Why the load-balancer setup cannot shift traffic (checked when the first shift starts: AWS fails late). */
export function networkingProblem(
  state: EmulatorState,
  ns: NativeState,
  n: NativeService,
): string | undefined {
  for (const lb of n.loadBalancers) {
    const a = lb.advancedConfiguration;
    if (!a)
      return `Service deployment failed: the load balancer of target group ${lb.targetGroupArn ?? '(none)'} has no advancedConfiguration (alternateTargetGroupArn, productionListenerRule, roleArn); the ${n.config.strategy} strategy needs it to shift traffic.`;
    if (!a.roleArn)
      return `Service deployment failed: advancedConfiguration.roleArn is missing; Amazon ECS needs an infrastructure role (AmazonECSInfrastructureRolePolicyForLoadBalancers) to change the listener rules.`;
    if (!state.roles.has(a.roleArn))
      return `Service deployment failed: Amazon ECS could not assume the infrastructure role ${a.roleArn}.`;
    const prod = forwardOf(state, ns, a.productionListenerRule);
    const test = a.testListenerRule ? forwardOf(state, ns, a.testListenerRule) : undefined;
    const groups = new Set([...(prod ?? []), ...(test ?? [])].map((f) => f.targetGroupArn));
    if (
      !prod ||
      !lb.targetGroupArn ||
      !groups.has(lb.targetGroupArn) ||
      !groups.has(a.alternateTargetGroupArn ?? '')
    )
      return 'Service deployment rolled back because of invalid networking configuration. Both targetGroup and alternateTargetGroup must be associated with the productionListenerRule or testListenerRule.';
  }
  return undefined;
}
