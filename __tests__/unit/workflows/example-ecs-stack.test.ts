import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { evaluate, loadCloudFormation, type EvalContext } from '../../../emulator/cloudformation.js';

const TEMPLATE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../infra/example-ecs-bluegreen-service.yml',
);

type Props = Record<string, unknown>;

describe('infra/example-ecs-bluegreen-service.yml', () => {
  const template = loadCloudFormation(TEMPLATE);
  const props = (logicalId: string): Props => {
    const r = template.Resources[logicalId];
    if (!r) throw new Error(`no resource ${logicalId}`);
    return r.Properties ?? {};
  };
  const ctx = (parameters: Record<string, string> = {}): EvalContext => ({
    template,
    parameters: {
      VpcId: 'vpc-1',
      SubnetIds: 'subnet-a,subnet-b',
      TestIngressCidr: '10.0.0.0/16',
      ...parameters,
    },
    accountId: '111122223333',
    region: 'eu-west-1',
    partition: 'aws',
  });
  const service = () => evaluate(ctx(), props('Service')) as Props;

  it('is an ECS-controlled service: no CodeDeploy resource at all', () => {
    const types = Object.values(template.Resources).map((r) => r.Type);
    expect(types.filter((t) => t.startsWith('AWS::CodeDeploy::'))).toEqual([]);
    expect(service().DeploymentController).toEqual({ Type: 'ECS' });
    expect(JSON.stringify(template.Resources)).not.toContain('codedeploy.amazonaws.com');
  });

  it('deploys BLUE_GREEN with a bake time, a rolling-back circuit breaker and a PAUSE hook after test traffic', () => {
    const config = service().DeploymentConfiguration as Props;
    expect(config.Strategy).toBe('BLUE_GREEN');
    expect(config.BakeTimeInMinutes).toBe('5');
    expect(config.DeploymentCircuitBreaker).toEqual({ Enable: true, Rollback: true });
    expect(config.LifecycleHooks).toEqual([
      {
        TargetType: 'PAUSE',
        LifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
        TimeoutConfiguration: { TimeoutInMinutes: '60', Action: 'ROLLBACK' },
      },
    ]);
    const bake = template.Parameters?.BakeTimeInMinutes as unknown as { MinValue: number; MaxValue: number };
    // bakeTimeInMinutes 0–1440 (SDK DeploymentConfiguration); pause timeouts 1–20160 (SDK HookTimeoutConfiguration).
    expect([bake.MinValue, bake.MaxValue]).toEqual([0, 1440]);
    const pause = template.Parameters?.PauseTimeoutMinutes as unknown as {
      MinValue: number;
      MaxValue: number;
    };
    expect([pause.MinValue, pause.MaxValue]).toEqual([1, 20160]);
  });

  it('advancedConfiguration names the green group, both listener RULES and the infrastructure role', () => {
    const [lb] = props('Service').LoadBalancers as Props[];
    expect(lb).toMatchObject({
      TargetGroupArn: { Ref: 'BlueTargetGroup' },
      AdvancedConfiguration: {
        AlternateTargetGroupArn: { Ref: 'GreenTargetGroup' },
        ProductionListenerRule: { Ref: 'ProdRule' },
        TestListenerRule: { Ref: 'TestRule' },
        RoleArn: { 'Fn::GetAtt': ['EcsInfrastructureRole', 'Arn'] },
      },
    });
    expect(template.Resources.ProdRule?.Type).toBe('AWS::ElasticLoadBalancingV2::ListenerRule');
    expect(template.Resources.TestRule?.Type).toBe('AWS::ElasticLoadBalancingV2::ListenerRule');
    expect((template.Resources.Service as { DependsOn?: unknown }).DependsOn).toEqual([
      'ProdRule',
      'TestRule',
    ]);
  });

  it('each listener rule only forwards, to both target groups, blue weighted 1 and green 0', () => {
    for (const [rule, listener] of [
      ['ProdRule', 'ProdListener'],
      ['TestRule', 'TestListener'],
    ] as const) {
      const p = props(rule);
      expect(p.ListenerArn).toEqual({ Ref: listener });
      const actions = p.Actions as Props[];
      expect(actions.map((a) => a.Type)).toEqual(['forward']);
      expect((actions[0]?.ForwardConfig as Props).TargetGroups).toEqual([
        { TargetGroupArn: { Ref: 'BlueTargetGroup' }, Weight: 1 },
        { TargetGroupArn: { Ref: 'GreenTargetGroup' }, Weight: 0 },
      ]);
    }
  });

  it('the infrastructure role trusts ecs.amazonaws.com and has the managed load balancer policy only', () => {
    const role = evaluate(ctx(), props('EcsInfrastructureRole')) as {
      AssumeRolePolicyDocument: { Statement: { Principal: unknown; Action: string }[] };
      ManagedPolicyArns: string[];
    };
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ]);
    expect(role.ManagedPolicyArns).toEqual([
      'arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers',
    ]);
  });

  it('the test listener is not open to the internet: its own CIDR, no default, /0 refused', () => {
    const ingress = props('AlbSecurityGroup').SecurityGroupIngress as Props[];
    const test = ingress.find((i) => (i.FromPort as Props).Ref === 'TestListenerPort');
    expect(test?.CidrIp).toEqual({ Ref: 'TestIngressCidr' });
    const p = template.Parameters?.TestIngressCidr as { Default?: string; AllowedPattern: string };
    expect(p.Default).toBeUndefined();
    const allowed = new RegExp(`^(?:${p.AllowedPattern})$`);
    expect(allowed.test('0.0.0.0/0')).toBe(false);
    expect(allowed.test('203.0.113.7/32')).toBe(true);
    const tasks = props('TaskSecurityGroup').SecurityGroupIngress as Props[];
    expect(tasks.map((i) => i.CidrIp)).toEqual([undefined]);
  });

  it('every Ref and GetAtt names a parameter or resource, and every parameter is used', () => {
    const names = new Set([
      ...Object.keys(template.Parameters ?? {}),
      ...Object.keys(template.Resources),
      'AWS::Region',
      'AWS::Partition',
    ]);
    const refs: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) return v.forEach(walk);
      if (v === null || typeof v !== 'object') return;
      for (const [k, x] of Object.entries(v)) {
        if (k === 'Ref') refs.push(String(x));
        if (k === 'Fn::GetAtt') refs.push(String((x as string[])[0]));
        if (k === 'Fn::Sub') for (const m of String(x).matchAll(/\$\{([^}.]+)/g)) refs.push(m[1] ?? '');
        walk(x);
      }
    };
    walk([template.Resources, template.Outputs]);
    expect(refs.filter((r) => !names.has(r))).toEqual([]);
    expect(Object.keys(template.Parameters ?? {}).filter((p) => !refs.includes(p))).toEqual([]);
  });
});
