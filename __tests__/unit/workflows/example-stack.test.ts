import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import {
  condition,
  evaluate,
  loadCloudFormation,
  type EvalContext,
} from '../../../emulator/cloudformation.js';

const TEMPLATE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../infra/example-bluegreen-service.yml',
);

type Props = Record<string, unknown>;

describe('infra/example-bluegreen-service.yml', () => {
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
  const group = () => props('DeploymentGroup');

  it('declares the resources of a blue/green Fargate service', () => {
    const types = Object.fromEntries(Object.entries(template.Resources).map(([id, r]) => [id, r.Type]));
    expect(types).toEqual({
      AlbSecurityGroup: 'AWS::EC2::SecurityGroup',
      TaskSecurityGroup: 'AWS::EC2::SecurityGroup',
      LoadBalancer: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
      BlueTargetGroup: 'AWS::ElasticLoadBalancingV2::TargetGroup',
      GreenTargetGroup: 'AWS::ElasticLoadBalancingV2::TargetGroup',
      ProdListener: 'AWS::ElasticLoadBalancingV2::Listener',
      TestListener: 'AWS::ElasticLoadBalancingV2::Listener',
      Cluster: 'AWS::ECS::Cluster',
      TaskExecutionRole: 'AWS::IAM::Role',
      LogGroup: 'AWS::Logs::LogGroup',
      TaskDefinition: 'AWS::ECS::TaskDefinition',
      Service: 'AWS::ECS::Service',
      CodeDeployServiceRole: 'AWS::IAM::Role',
      Application: 'AWS::CodeDeploy::Application',
      DeploymentGroup: 'AWS::CodeDeploy::DeploymentGroup',
    });
    expect(props('LoadBalancer')).toMatchObject({ Type: 'application', Scheme: 'internet-facing' });
    expect(props('Application').ComputePlatform).toBe('ECS');
  });

  it('parameters: the brief defaults, and a SubnetIds list', () => {
    const p = template.Parameters ?? {};
    expect(p.SubnetIds?.Type).toBe('List<AWS::EC2::Subnet::Id>');
    expect(p.VpcId?.Type).toBe('AWS::EC2::VPC::Id');
    expect(p.ContainerImage?.Default).toBe('public.ecr.aws/nginx/nginx:stable');
    expect(p.ContainerPort?.Default).toBe('80');
    expect(p.ProdListenerPort?.Default).toBe('80');
    expect(p.TestListenerPort?.Default).toBe('8080');
    expect(p.ReadyWaitMinutes?.Default).toBe('0');
    expect(p.DeploymentConfigName?.Default).toBe('CodeDeployDefault.ECSCanary10Percent5Minutes');
    expect((p.TerminationWaitMinutes as { MaxValue?: number }).MaxValue).toBe(2880);
    for (const name of [
      'ClusterName',
      'ServiceName',
      'DesiredCount',
      'HealthCheckPath',
      'TerminationWaitMinutes',
    ]) {
      expect(p[name]?.Default).toBeDefined();
    }
  });

  it('the service uses the CODE_DEPLOY controller on Fargate, attached to the blue target group', () => {
    const svc = props('Service');
    expect(svc.DeploymentController).toEqual({ Type: 'CODE_DEPLOY' });
    expect(svc.LaunchType).toBe('FARGATE');
    expect(svc.TaskDefinition).toEqual({ Ref: 'TaskDefinition' });
    expect(svc.LoadBalancers).toEqual([
      {
        ContainerName: { Ref: 'ContainerName' },
        ContainerPort: { Ref: 'ContainerPort' },
        TargetGroupArn: { Ref: 'BlueTargetGroup' },
      },
    ]);
    expect(template.Resources.Service?.['DependsOn' as never]).toEqual(['ProdListener', 'TestListener']);
    const td = props('TaskDefinition');
    expect(td).toMatchObject({ RequiresCompatibilities: ['FARGATE'], NetworkMode: 'awsvpc' });
    const containers = td.ContainerDefinitions as Props[];
    expect(containers).toHaveLength(1);
    expect(containers[0]?.Name).toEqual({ Ref: 'ContainerName' });
    expect(containers[0]?.PortMappings).toEqual([
      { ContainerPort: { Ref: 'ContainerPort' }, Protocol: 'tcp' },
    ]);
  });

  it('the application and group are named AppECS-/DgpECS-<cluster>-<service>, the action defaults', () => {
    const c = ctx({ ClusterName: 'shop', ServiceName: 'api' });
    const cluster = 'shop';
    const service = 'api';
    expect(evaluate(c, props('Cluster').ClusterName)).toBe(cluster);
    expect(evaluate(c, props('Service').ServiceName)).toBe(service);
    expect(evaluate(c, props('Application').ApplicationName)).toBe(`AppECS-${cluster}-${service}`);
    expect(evaluate(c, group().DeploymentGroupName)).toBe(`DgpECS-${cluster}-${service}`);
    // The group belongs to that application and targets exactly that cluster and service.
    expect(group().ApplicationName).toEqual({ Ref: 'Application' });
    expect(group().ECSServices).toEqual([
      { ClusterName: { Ref: 'Cluster' }, ServiceName: { 'Fn::GetAtt': ['Service', 'Name'] } },
    ]);
    // Defaults too (the stack deployed with no overrides).
    const d = ctx();
    expect(evaluate(d, group().DeploymentGroupName)).toBe(
      `DgpECS-${String(evaluate(d, { Ref: 'ClusterName' }))}-${String(evaluate(d, { Ref: 'ServiceName' }))}`,
    );
  });

  it('the group is blue/green with traffic control over both listeners and both target groups', () => {
    const g = group();
    expect(g.DeploymentStyle).toEqual({
      DeploymentType: 'BLUE_GREEN',
      DeploymentOption: 'WITH_TRAFFIC_CONTROL',
    });
    const pairs = (g.LoadBalancerInfo as { TargetGroupPairInfoList: Props[] }).TargetGroupPairInfoList;
    expect(pairs).toHaveLength(1);
    expect(pairs[0]).toEqual({
      TargetGroups: [
        { Name: { 'Fn::GetAtt': ['BlueTargetGroup', 'TargetGroupName'] } },
        { Name: { 'Fn::GetAtt': ['GreenTargetGroup', 'TargetGroupName'] } },
      ],
      ProdTrafficRoute: { ListenerArns: [{ Ref: 'ProdListener' }] },
      TestTrafficRoute: { ListenerArns: [{ Ref: 'TestListener' }] },
    });
    expect(props('ProdListener')).toMatchObject({
      LoadBalancerArn: { Ref: 'LoadBalancer' },
      Port: { Ref: 'ProdListenerPort' },
    });
    expect(props('TestListener')).toMatchObject({
      LoadBalancerArn: { Ref: 'LoadBalancer' },
      Port: { Ref: 'TestListenerPort' },
    });
    for (const tg of ['BlueTargetGroup', 'GreenTargetGroup']) {
      expect(props(tg)).toMatchObject({
        TargetType: 'ip',
        Port: { Ref: 'ContainerPort' },
        VpcId: { Ref: 'VpcId' },
        HealthCheckPath: { Ref: 'HealthCheckPath' },
      });
    }
    expect(g.AutoRollbackConfiguration).toEqual({
      Enabled: true,
      Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'],
    });
    expect(g.DeploymentConfigName).toEqual({ Ref: 'DeploymentConfigName' });
    expect(g.ServiceRoleArn).toEqual({ 'Fn::GetAtt': ['CodeDeployServiceRole', 'Arn'] });
    const role = props('CodeDeployServiceRole') as {
      AssumeRolePolicyDocument: { Statement: { Principal: unknown }[] };
      ManagedPolicyArns: unknown[];
    };
    expect(role.AssumeRolePolicyDocument.Statement.map((s) => s.Principal)).toEqual([
      { Service: 'codedeploy.amazonaws.com' },
    ]);
    expect(evaluate(ctx(), role.ManagedPolicyArns)).toEqual([
      'arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS',
    ]);
  });

  it('CONTINUE_DEPLOYMENT never comes with a non-zero wait; a wait means STOP_DEPLOYMENT', () => {
    const bg = group().BlueGreenDeploymentConfiguration as Props;
    const ready = bg.DeploymentReadyOption as { 'Fn::If': [string, Props, Props] };
    expect(Object.keys(ready)).toEqual(['Fn::If']);
    const [cond, whenTrue, whenFalse] = ready['Fn::If'];
    expect(cond).toBe('HoldForReady');
    // Both branches, statically: the action and the wait are chosen together.
    for (const branch of [whenTrue, whenFalse]) {
      expect(['CONTINUE_DEPLOYMENT', 'STOP_DEPLOYMENT']).toContain(branch.ActionOnTimeout);
      if (branch.ActionOnTimeout === 'CONTINUE_DEPLOYMENT') expect(branch.WaitTimeInMinutes).toBe(0);
    }
    expect(whenTrue).toEqual({
      ActionOnTimeout: 'STOP_DEPLOYMENT',
      WaitTimeInMinutes: { Ref: 'ReadyWaitMinutes' },
    });
    // And the condition picks the right branch for 0 and for a wait.
    expect(condition(ctx({ ReadyWaitMinutes: '0' }), 'HoldForReady')).toBe(false);
    expect(evaluate(ctx({ ReadyWaitMinutes: '0' }), ready)).toEqual({
      ActionOnTimeout: 'CONTINUE_DEPLOYMENT',
      WaitTimeInMinutes: 0,
    });
    expect(evaluate(ctx(), ready)).toEqual({ ActionOnTimeout: 'CONTINUE_DEPLOYMENT', WaitTimeInMinutes: 0 });
    expect(evaluate(ctx({ ReadyWaitMinutes: '15' }), ready)).toEqual({
      ActionOnTimeout: 'STOP_DEPLOYMENT',
      WaitTimeInMinutes: '15',
    });
    // No other CONTINUE_DEPLOYMENT anywhere that could pair with a wait.
    expect(JSON.stringify(template.Resources).match(/CONTINUE_DEPLOYMENT/g)).toHaveLength(1);
    expect(bg.TerminateBlueInstancesOnDeploymentSuccess).toEqual({
      Action: 'TERMINATE',
      TerminationWaitTimeInMinutes: { Ref: 'TerminationWaitMinutes' },
    });
  });

  it('the task security group admits only the load balancer, on the container port', () => {
    const ingress = props('TaskSecurityGroup').SecurityGroupIngress as Props[];
    expect(ingress.length).toBeGreaterThan(0);
    for (const rule of ingress) {
      expect(rule.SourceSecurityGroupId).toEqual({ 'Fn::GetAtt': ['AlbSecurityGroup', 'GroupId'] });
      expect(rule).toMatchObject({
        IpProtocol: 'tcp',
        FromPort: { Ref: 'ContainerPort' },
        ToPort: { Ref: 'ContainerPort' },
      });
      for (const open of ['CidrIp', 'CidrIpv6', 'SourcePrefixListId', 'SourceSecurityGroupName']) {
        expect(rule).not.toHaveProperty(open);
      }
    }
    // No stand-alone ingress rule widens it, and the tasks use only that group.
    for (const r of Object.values(template.Resources)) {
      if (r.Type === 'AWS::EC2::SecurityGroupIngress') {
        expect(JSON.stringify(r.Properties)).not.toContain('TaskSecurityGroup');
      }
    }
    const net = props('Service').NetworkConfiguration as { AwsvpcConfiguration: Props };
    expect(net.AwsvpcConfiguration.SecurityGroups).toEqual([
      { 'Fn::GetAtt': ['TaskSecurityGroup', 'GroupId'] },
    ]);
    expect(props('LoadBalancer').SecurityGroups).toEqual([{ 'Fn::GetAtt': ['AlbSecurityGroup', 'GroupId'] }]);
    // The load balancer's group opens exactly the two listener ports.
    const albPorts = (props('AlbSecurityGroup').SecurityGroupIngress as Props[]).map((r) => [
      r.FromPort,
      r.ToPort,
    ]);
    expect(albPorts).toEqual([
      [{ Ref: 'ProdListenerPort' }, { Ref: 'ProdListenerPort' }],
      [{ Ref: 'TestListenerPort' }, { Ref: 'TestListenerPort' }],
    ]);
  });

  it('the test listener is not open to the internet: its own CIDR, no default, /0 refused', () => {
    const p = template.Parameters?.TestIngressCidr ?? { Type: 'missing', AllowedPattern: '.*' };
    expect(p).toBeDefined();
    expect(p.Default).toBeUndefined();
    const ok = (cidr: string) => new RegExp(`^(?:${p.AllowedPattern ?? '.*'})$`).test(cidr);
    expect(ok('0.0.0.0/0')).toBe(false);
    expect(ok('0.0.0.0/1')).toBe(false);
    expect(ok('203.0.113.7/32')).toBe(true);
    expect(ok('10.0.0.0/8')).toBe(true);
    expect(p.ConstraintDescription).toMatch(/0\.0\.0\.0\/0/);
    const rules = props('AlbSecurityGroup').SecurityGroupIngress as Props[];
    const test = rules.find(
      (r) => JSON.stringify(r.FromPort) === JSON.stringify({ Ref: 'TestListenerPort' }),
    );
    expect(test?.CidrIp).toEqual({ Ref: 'TestIngressCidr' });
    expect(evaluate(ctx({ TestIngressCidr: '203.0.113.7/32' }), test?.CidrIp)).toBe('203.0.113.7/32');
  });

  it('every Ref, Fn::GetAtt, ${} and DependsOn names an existing parameter, resource or attribute', () => {
    const params = new Set(Object.keys(template.Parameters ?? {}));
    const resources = new Set(Object.keys(template.Resources));
    const names = new Set([
      ...params,
      ...resources,
      'AWS::AccountId',
      'AWS::Region',
      'AWS::Partition',
      'AWS::NoValue',
    ]);
    const conditions = new Set(Object.keys(template.Conditions ?? {}));
    // Attributes this template reads, per resource type (from the CloudFormation return values).
    const attributes: Record<string, string[]> = {
      'AWS::EC2::SecurityGroup': ['GroupId'],
      'AWS::ElasticLoadBalancingV2::LoadBalancer': ['DNSName'],
      'AWS::ElasticLoadBalancingV2::TargetGroup': ['TargetGroupName'],
      'AWS::IAM::Role': ['Arn'],
      'AWS::ECS::Service': ['Name'],
    };
    const getAtt = (resource: string, attribute: string) => {
      expect(resources).toContain(resource);
      expect(attributes[template.Resources[resource]?.Type ?? '']).toContain(attribute);
    };
    let seen = 0;
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) return v.forEach(walk);
      if (v === null || typeof v !== 'object') return;
      for (const [k, x] of Object.entries(v)) {
        if (k === 'Ref') {
          expect(names).toContain(x);
          seen++;
        }
        if (k === 'Fn::GetAtt') {
          const [res, att] = x as [string, string];
          getAtt(res, att);
          seen++;
        }
        if (k === 'Fn::If') expect(conditions).toContain((x as string[])[0]);
        if (k === 'Fn::Sub') {
          const text = Array.isArray(x) ? String(x[0]) : String(x);
          for (const m of text.matchAll(/\$\{([^}]+)\}/g)) {
            const ref = m[1] ?? '';
            if (ref.includes('.') && !ref.startsWith('AWS::')) {
              const [res = '', att = ''] = ref.split('.');
              getAtt(res, att);
            } else expect(names).toContain(ref);
            seen++;
          }
        }
        walk(x);
      }
    };
    walk(template.Resources);
    walk(template.Outputs);
    expect(seen).toBeGreaterThan(40);
    for (const r of Object.values(template.Resources)) {
      const deps = (r as { DependsOn?: string | string[] }).DependsOn;
      for (const d of [deps ?? []].flat()) expect(resources).toContain(d);
    }
    // Every parameter is used somewhere.
    const text = JSON.stringify({ r: template.Resources, o: template.Outputs, c: template.Conditions });
    for (const p of params) expect(text).toMatch(new RegExp(`"Ref":"${p}"|\\$\\{${p}\\}`));
  });

  it('outputs what the caller workflow needs, consistent with the resources', () => {
    const outputs = template.Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'ClusterName',
        'ServiceName',
        'ContainerName',
        'CodeDeployApplication',
        'CodeDeployDeploymentGroup',
        'TaskDefinitionFamily',
        'TaskExecutionRoleArn',
        'LoadBalancerDnsName',
        'ProductionUrl',
        'TestUrl',
      ].sort(),
    );
    expect(outputs.ClusterName?.Value).toEqual({ Ref: 'Cluster' });
    expect(outputs.CodeDeployApplication?.Value).toEqual({ Ref: 'Application' });
    expect(outputs.CodeDeployDeploymentGroup?.Value).toEqual({ Ref: 'DeploymentGroup' });
    expect(outputs.TaskDefinitionFamily?.Value).toEqual(props('TaskDefinition').Family);
    const c = ctx({ ClusterName: 'shop', ServiceName: 'api', TestListenerPort: '9000' });
    expect(evaluate(c, outputs.TaskDefinitionFamily?.Value)).toBe('shop-api');
    expect(evaluate(c, outputs.TestUrl?.Value)).toBe('http://{LoadBalancer.DNSName}:9000');
    expect(evaluate(ctx(), outputs.TestUrl?.Value)).toBe('http://{LoadBalancer.DNSName}:8080');
    expect(evaluate(ctx(), outputs.ProductionUrl?.Value)).toBe('http://{LoadBalancer.DNSName}:80');
    expect(outputs.LoadBalancerDnsName?.Value).toEqual({ 'Fn::GetAtt': ['LoadBalancer', 'DNSName'] });
  });
});
