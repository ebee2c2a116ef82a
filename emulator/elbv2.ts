/** Elastic Load Balancing v2 (awsQuery, 2015-12-01): the reads the action makes. */
import { ApiError, queryList } from './protocol.js';
import type { QueryHandler } from './sts.js';
import type { EmulatorState, Listener, LoadBalancer, TargetGroup } from './state.js';
import { isoTime } from './protocol.js';
import { nativeState } from './ecs-native/index.js';

export const ELB_NAMESPACE = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';

function listenerWire(l: Listener): Record<string, unknown> {
  const single = l.forward.length === 1 ? l.forward[0] : undefined;
  return {
    ListenerArn: l.arn,
    LoadBalancerArn: l.loadBalancerArn,
    Port: l.port,
    Protocol: l.protocol,
    DefaultActions: [
      {
        Type: 'forward',
        ...(single ? { TargetGroupArn: single.targetGroupArn } : {}),
        ForwardConfig: {
          TargetGroups: l.forward.map((f) => ({ TargetGroupArn: f.targetGroupArn, Weight: f.weight })),
          TargetGroupStickinessConfig: { Enabled: false },
        },
      },
    ],
  };
}

function lbWire(lb: LoadBalancer, state: EmulatorState): Record<string, unknown> {
  return {
    LoadBalancerArn: lb.arn,
    DNSName: lb.dnsName,
    CanonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
    CreatedTime: isoTime(lb.createdTime),
    LoadBalancerName: lb.name,
    Scheme: 'internet-facing',
    VpcId: lb.vpcId,
    State: { Code: 'active' },
    Type: 'application',
    AvailabilityZones: [`${state.region}a`, `${state.region}b`].map((z, i) => ({
      ZoneName: z,
      SubnetId: `subnet-0000000${i + 1}`,
    })),
    SecurityGroups: ['sg-00000001'],
    IpAddressType: 'ipv4',
  };
}

export function elbv2Handlers(state: EmulatorState): Record<string, QueryHandler> {
  return {
    DescribeListeners: (params) => {
      const arns = queryList(params, 'ListenerArns');
      const lbArn = params.get('LoadBalancerArn');
      if (arns.length === 0 && !lbArn)
        throw new ApiError('ValidationError', 'You must specify either listener ARNs or a load balancer ARN');
      if (arns.length > 0 && lbArn)
        throw new ApiError(
          'ValidationError',
          'Listener ARNs and a load balancer ARN cannot be specified at the same time',
        );
      if (lbArn) {
        if (!state.loadBalancers.has(lbArn))
          throw new ApiError('LoadBalancerNotFound', `Load balancer '${lbArn}' not found`);
        return {
          Listeners: [...state.listeners.values()]
            .filter((l) => l.loadBalancerArn === lbArn)
            .map(listenerWire),
        };
      }
      const listeners = arns.map((arn) => {
        const l = state.listeners.get(arn);
        if (!l) throw new ApiError('ListenerNotFound', `One or more listeners not found`);
        return listenerWire(l);
      });
      return { Listeners: listeners };
    },
    /** The listener rules of ECS-native services (ELBv2 API `DescribeRules` by RuleArns; forward actions only). */
    DescribeRules: (params) => {
      const arns = queryList(params, 'RuleArns');
      if (arns.length === 0) throw new ApiError('ValidationError', 'RuleArns or ListenerArn is required');
      const rules = arns.map((arn) => {
        const rule = nativeState(state).rules.get(arn);
        if (!rule) throw new ApiError('RuleNotFound', 'One or more rules not found');
        return {
          RuleArn: rule.arn,
          Priority: '10',
          IsDefault: false,
          Conditions: [{ Field: 'path-pattern', Values: ['/*'] }],
          Actions: [
            {
              Type: 'forward',
              ForwardConfig: {
                TargetGroups: rule.forward.map((f) => ({
                  TargetGroupArn: f.targetGroupArn,
                  Weight: f.weight,
                })),
              },
            },
          ],
        };
      });
      return { Rules: rules };
    },
    /**
     * Target groups by Names or TargetGroupArns (ELBv2 API `DescribeTargetGroups`; the plan's check-migration
     * looks up the alternate target group by name). An unknown one: TargetGroupNotFound.
     */
    DescribeTargetGroups: (params) => {
      const arns = queryList(params, 'TargetGroupArns');
      const names = queryList(params, 'Names');
      const all = [...state.targetGroups.values()];
      const found =
        arns.length > 0
          ? arns.map((arn) => all.find((t) => t.arn === arn))
          : names.length > 0
            ? names.map((n) => all.find((t) => t.name === n))
            : all;
      if (found.some((t) => t === undefined))
        throw new ApiError('TargetGroupNotFound', 'One or more target groups not found');
      return {
        TargetGroups: (found as TargetGroup[]).map((t) => ({
          TargetGroupArn: t.arn,
          TargetGroupName: t.name,
          Protocol: 'HTTP',
          Port: t.port,
          VpcId: 'vpc-0emulator',
          TargetType: 'ip',
          LoadBalancerArns: [
            ...new Set(
              [...state.listeners.values()]
                .filter((l) => l.forward.some((f) => f.targetGroupArn === t.arn))
                .map((l) => l.loadBalancerArn),
            ),
          ],
        })),
      };
    },
    DescribeLoadBalancers: (params) => {
      const arns = queryList(params, 'LoadBalancerArns');
      const names = queryList(params, 'Names');
      let lbs = [...state.loadBalancers.values()];
      if (arns.length > 0) {
        lbs = arns.map((arn) => {
          const lb = state.loadBalancers.get(arn);
          if (!lb) throw new ApiError('LoadBalancerNotFound', `One or more load balancers not found`);
          return lb;
        });
      } else if (names.length > 0) {
        lbs = names.map((n) => {
          const lb = lbs.find((x) => x.name === n);
          if (!lb) throw new ApiError('LoadBalancerNotFound', `Load balancers '[${n}]' not found`);
          return lb;
        });
      }
      return { LoadBalancers: lbs.map((lb) => lbWire(lb, state)) };
    },
  };
}
