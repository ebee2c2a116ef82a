/** Elastic Load Balancing v2 (awsQuery, 2015-12-01): the reads the action makes. */
import { ApiError, queryList } from './protocol.js';
import type { QueryHandler } from './sts.js';
import type { EmulatorState, Listener, LoadBalancer } from './state.js';
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
    /**
     * The listener rules of ECS-native services (ELBv2 API `DescribeRules`; forward actions only): by
     * RuleArns, or every rule of one listener by ListenerArn, its default rule last (IsDefault, Priority
     * "default", the listener's default forward), as the API reference describes. One of the two, not both.
     */
    DescribeRules: (params) => {
      const arns = queryList(params, 'RuleArns');
      const listenerArn = params.get('ListenerArn');
      if (arns.length === 0 && !listenerArn)
        throw new ApiError('ValidationError', 'RuleArns or ListenerArn is required');
      if (arns.length > 0 && listenerArn)
        throw new ApiError(
          'ValidationError',
          'RuleArns and ListenerArn cannot be specified at the same time',
        );
      const forward = (targets: { targetGroupArn: string; weight: number }[]) => [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: targets.map((f) => ({ TargetGroupArn: f.targetGroupArn, Weight: f.weight })),
          },
        },
      ];
      const wire = (rule: { arn: string; forward: { targetGroupArn: string; weight: number }[] }, i = 0) => ({
        RuleArn: rule.arn,
        Priority: String(10 + i),
        IsDefault: false,
        Conditions: [{ Field: 'path-pattern', Values: ['/*'] }],
        Actions: forward(rule.forward),
      });
      if (listenerArn) {
        const listener = state.listeners.get(listenerArn);
        if (!listener) throw new ApiError('ListenerNotFound', 'One or more listeners not found');
        const own = [...nativeState(state).rules.values()].filter((r) => r.listenerArn === listenerArn);
        return {
          Rules: [
            ...own.map((r, i) => wire(r, i)),
            {
              RuleArn: listenerArn.replace(':listener/', ':listener-rule/') + '/default',
              Priority: 'default',
              IsDefault: true,
              Conditions: [],
              Actions: forward(listener.forward),
            },
          ],
        };
      }
      const rules = arns.map((arn) => {
        const rule = nativeState(state).rules.get(arn);
        if (!rule) throw new ApiError('RuleNotFound', 'One or more rules not found');
        return wire(rule);
      });
      return { Rules: rules };
    },
    /** By Names or TargetGroupArns; LoadBalancerArns: the load balancers whose listeners or rules forward to it. */
    DescribeTargetGroups: (params) => {
      const arns = queryList(params, 'TargetGroupArns');
      const names = queryList(params, 'Names');
      let groups = [...state.targetGroups.values()];
      if (arns.length > 0)
        groups = arns.map((arn) => {
          const g = state.targetGroups.get(arn);
          if (!g) throw new ApiError('TargetGroupNotFound', 'One or more target groups not found');
          return g;
        });
      else if (names.length > 0)
        groups = names.map((n) => {
          const g = groups.find((x) => x.name === n);
          if (!g) throw new ApiError('TargetGroupNotFound', `Target groups '[${n}]' not found`);
          return g;
        });
      const ns = nativeState(state);
      const lbsOf = (arn: string) => {
        const out = new Set<string>();
        for (const l of state.listeners.values())
          if (l.forward.some((f) => f.targetGroupArn === arn)) out.add(l.loadBalancerArn);
        for (const r of ns.rules.values()) {
          const l = state.listeners.get(r.listenerArn);
          if (l && r.forward.some((f) => f.targetGroupArn === arn)) out.add(l.loadBalancerArn);
        }
        // a target group named by a CodeDeploy group serves that group's load balancer even at weight 0
        for (const g of state.deploymentGroups.values()) {
          const prod = state.listeners.get(g.prodListenerArn);
          const tg = state.targetGroups.get(arn);
          if (prod && tg && g.targetGroupNames.includes(tg.name)) out.add(prod.loadBalancerArn);
        }
        return [...out];
      };
      return {
        TargetGroups: groups.map((g) => ({
          TargetGroupArn: g.arn,
          TargetGroupName: g.name,
          Protocol: 'HTTP',
          Port: g.port,
          VpcId: 'vpc-0emulator',
          TargetType: 'ip',
          LoadBalancerArns: lbsOf(g.arn),
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
