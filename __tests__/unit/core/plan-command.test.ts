import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListServiceDeploymentsCommand,
} from '@aws-sdk/client-ecs';
import {
  GetDeploymentConfigCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import {
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { runPlan } from '../../../src/commands/plan.js';
import { fakeRuntime } from '../../helpers/fake-runtime.js';
import {
  cd,
  changedAnything,
  ecs,
  gatedGroup,
  group,
  service,
  setUpWorld,
  taskDefinitionJson,
  type World,
  restoreWorkspaceAfterAll,
} from '../../helpers/aws-world.js';

restoreWorkspaceAfterAll();

let world: World;
beforeEach(() => {
  world = setUpWorld();
});

const inputs = {
  service: 'web',
  cluster: 'prod',
  'task-definition': 'task-definition.json',
  'aws-region': 'us-east-1',
};

describe('runPlan', () => {
  it('reports no changes when the file matches the running revision, and changes nothing in AWS', async () => {
    const rt = fakeRuntime({ inputs });
    await runPlan(rt);
    expect(rt.outputs['has-changes']).toBe('false');
    expect(rt.outputs['running-task-definition-arn']).toBe(
      'arn:aws:ecs:us-east-1:111122223333:task-definition/web:42',
    );
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)[0]?.args[0].input.taskDefinition).toBe(
      'arn:aws:ecs:us-east-1:111122223333:task-definition/web:42',
    );
    expect(changedAnything()).toBe(false);
  });

  it('shows a changed image and the deployment in flight', async () => {
    world.file('task-definition.json', {
      ...taskDefinitionJson,
      containerDefinitions: [{ ...taskDefinitionJson.containerDefinitions?.[0], image: 'nginx:1.28' }],
    });
    cd.on(ListDeploymentsCommand).resolves({ deployments: ['d-OTHER0001'] });
    const rt = fakeRuntime({ inputs });
    await runPlan(rt);
    expect(rt.outputs['has-changes']).toBe('true');
    expect(rt.summaries[0]).toContain('nginx:1.28');
    expect(rt.summaries[0]).toContain('A deployment is in flight in the group: [d-OTHER0001]');
    expect(changedAnything()).toBe(false);
  });

  it('names changed environment variables but never prints their values', async () => {
    const container = taskDefinitionJson.containerDefinitions?.[0];
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        ...taskDefinitionJson,
        containerDefinitions: [
          { ...container, environment: [{ name: 'DB_PASSWORD', value: 'old-s3cret-value' }] },
        ],
      },
    });
    world.file('task-definition.json', {
      ...taskDefinitionJson,
      containerDefinitions: [
        { ...container, environment: [{ name: 'DB_PASSWORD', value: 'new-s3cret-value' }] },
      ],
    });
    const rt = fakeRuntime({ inputs });
    await runPlan(rt);
    expect(rt.outputs['has-changes']).toBe('true');
    const everything = [...rt.summaries, rt.logText(), rt.outputs['diff-markdown'] ?? ''].join('\n');
    expect(everything).toContain('DB\\_PASSWORD');
    expect(everything).not.toContain('s3cret');
  });
});

const elb = mockClient(ElasticLoadBalancingV2Client);
const TG_BLUE = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/tg-blue/1111';
const TG_GREEN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/tg-green/2222';
const PROD_LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/web/1/aaa';
const TEST_LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/web/1/bbb';
const PROD_RULE = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule/app/web/1/aaa/r1';
const TEST_RULE = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule/app/web/1/bbb/r2';
/** The service's load balancer once it is ECS-controlled, with the infrastructure role `roleArn`. */
const nativeLoadBalancer = (roleArn: string) => ({
  targetGroupArn: TG_BLUE,
  containerName: 'web',
  containerPort: 8080,
  advancedConfiguration: {
    alternateTargetGroupArn: TG_GREEN,
    productionListenerRule: PROD_RULE,
    testListenerRule: TEST_RULE,
    roleArn,
  },
});

/** Every call any mock saw is a read (Describe/List/Get). */
function onlyReads(): string[] {
  return [...ecs.calls(), ...cd.calls(), ...elb.calls()]
    .map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''))
    .filter((name) => !/^(Describe|List|Get)/.test(name));
}

describe('runPlan on an ECS-controlled service', () => {
  beforeEach(() => {
    elb.reset();
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        service({
          deploymentController: { type: 'ECS' },
          deploymentConfiguration: {
            strategy: 'CANARY',
            bakeTimeInMinutes: 20,
            canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 5 },
            lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'] }],
            deploymentCircuitBreaker: { enable: true, rollback: true },
          },
          loadBalancers: [nativeLoadBalancer('arn:aws:iam::111122223333:role/ecs-infra')],
        }),
      ],
    });
    ecs.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: [] });
  });

  it('shows the strategy, the canary step with its bake, the pause, the bake time and the diff, reading only', async () => {
    elb.on(DescribeRulesCommand).resolves({
      Rules: [
        {
          RuleArn: PROD_RULE,
          Actions: [
            {
              Type: 'forward',
              ForwardConfig: {
                TargetGroups: [
                  { TargetGroupArn: TG_BLUE, Weight: 1 },
                  { TargetGroupArn: TG_GREEN, Weight: 0 },
                ],
              },
            },
          ],
        },
        { RuleArn: TEST_RULE, Actions: [{ Type: 'forward', TargetGroupArn: TG_BLUE }] },
      ],
    });
    const rt = fakeRuntime({ inputs });
    await runPlan(rt);
    const summary = rt.summaries[0] ?? '';
    expect(rt.outputs.strategy).toBe('CANARY');
    expect(rt.outputs['deployment-controller']).toBe('ECS');
    expect(rt.outputs['has-changes']).toBe('false');
    expect(summary).toContain('strategy **CANARY**');
    expect(summary).toContain('2 steps: 10 % → 100 %, 5 min bake after each step but the last');
    expect(summary).toContain('Bake time: 20 min');
    expect(summary).toContain(
      'Pauses: the deployment waits for ContinueServiceDeployment at POST_TEST_TRAFFIC_SHIFT',
    );
    expect(summary).toMatch(
      /\| PRODUCTION_TRAFFIC_SHIFT \(step 1\/2\) \| production weights move: green 10 % \| — \| 5 min \|/,
    );
    expect(summary).not.toContain('Problems');
    expect(elb.commandCalls(DescribeRulesCommand)[0]?.args[0].input.RuleArns).toEqual([PROD_RULE, TEST_RULE]);
    expect(cd.calls()).toHaveLength(0);
    expect(onlyReads()).toEqual([]);
  });

  it('lists rules that do not hold both target groups as a problem, and a deployment in flight', async () => {
    elb.on(DescribeRulesCommand).resolves({
      Rules: [
        { RuleArn: PROD_RULE, Actions: [{ Type: 'forward', TargetGroupArn: TG_BLUE }] },
        { RuleArn: TEST_RULE, Actions: [{ Type: 'forward', TargetGroupArn: TG_BLUE }] },
      ],
    });
    ecs.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [{ serviceDeploymentArn: 'arn:sd/1', status: 'IN_PROGRESS' }],
    });
    const rt = fakeRuntime({ inputs });
    await runPlan(rt);
    expect(rt.summaries[0]).toContain('deploy will refuse this');
    expect(rt.summaries[0]).toContain(`Target group ${TG_GREEN} is on neither`);
    expect(rt.summaries[0]).toContain('A service deployment is in flight: `arn:sd/1` (IN\\_PROGRESS)');
    expect(rt.logText('warning')).toContain('is on neither');
  });

  it('says so when the rules cannot be read, and still plans', async () => {
    elb.on(DescribeRulesCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    const rt = fakeRuntime({ inputs });
    await runPlan(rt);
    expect(rt.summaries[0]).toContain('Could not read the listener rules (AccessDenied)');
    expect(rt.outputs.strategy).toBe('CANARY');
  });
});

describe('runPlan with check-migration on a CodeDeploy service', () => {
  beforeEach(() => {
    elb.reset();
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        service({
          loadBalancers: [{ targetGroupArn: TG_BLUE, containerName: 'web', containerPort: 8080 }],
          taskSets: [{ id: 'ecs-svc/1', status: 'PRIMARY', loadBalancers: [{ targetGroupArn: TG_BLUE }] }],
        }),
      ],
    });
    cd.on(GetDeploymentGroupCommand).resolves({
      deploymentGroupInfo: group({
        serviceRoleArn: 'arn:aws:iam::111122223333:role/codedeploy',
        loadBalancerInfo: {
          targetGroupPairInfoList: [
            {
              targetGroups: [{ name: 'tg-blue' }, { name: 'tg-green' }],
              prodTrafficRoute: { listenerArns: [PROD_LISTENER] },
              testTrafficRoute: { listenerArns: [TEST_LISTENER] },
            },
          ],
        },
      }),
    });
  });

  it('lists what the service lacks and prints the update-service call and the CloudFormation change, reading only', async () => {
    elb.on(DescribeTargetGroupsCommand).resolves({
      TargetGroups: [{ TargetGroupName: 'tg-green', TargetGroupArn: TG_GREEN }],
    });
    elb.on(DescribeRulesCommand, { ListenerArn: PROD_LISTENER }).resolves({
      Rules: [
        {
          RuleArn: `${PROD_LISTENER}/default`,
          IsDefault: true,
          Actions: [{ Type: 'forward', TargetGroupArn: TG_BLUE }],
        },
        { RuleArn: PROD_RULE, Priority: '1', Actions: [{ Type: 'forward', TargetGroupArn: TG_BLUE }] },
      ],
    });
    elb.on(DescribeRulesCommand, { ListenerArn: TEST_LISTENER }).resolves({
      Rules: [{ RuleArn: TEST_RULE, Priority: '1', Actions: [{ Type: 'forward', TargetGroupArn: TG_BLUE }] }],
    });
    const rt = fakeRuntime({ inputs: { ...inputs, 'check-migration': 'true' } });
    await runPlan(rt);
    const summary = rt.summaries[0] ?? '';
    expect(summary).toContain('### Migration check: CodeDeploy → ECS blue/green (read only)');
    expect(summary).toContain('✅ The service has exactly one task set, and it is PRIMARY.');
    expect(summary).toMatch(/❌ Target group tg-green is on neither listener rule/);
    expect(summary).toContain(
      'AmazonECSInfrastructureRolePolicyForLoadBalancers replaces the CodeDeploy service role (arn:aws:iam::111122223333:role/codedeploy)',
    );
    const cli = /```sh\n([\s\S]*?)```/.exec(summary)?.[1] ?? '';
    expect(cli).toContain('aws ecs update-service');
    expect(cli).toContain(`--deployment-controller '{"type":"ECS"}'`);
    const json = (flag: string) => JSON.parse(new RegExp(`--${flag} '([^']*)'`).exec(cli)?.[1] ?? 'null');
    expect(json('deployment-configuration')).toEqual({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 5 });
    expect(json('load-balancers')).toEqual([
      nativeLoadBalancer('<ROLE_ARN: an IAM role ECS assumes to manage the load balancer>'),
    ]);
    expect(summary).toContain('```yaml\n# AWS::ECS::Service');
    expect(summary).toContain(`      ProductionListenerRule: ${PROD_RULE}`);
    expect(rt.logText()).toContain('aws ecs update-service');
    expect(onlyReads()).toEqual([]);
    expect(changedAnything()).toBe(false);
  });

  it('maps a gated canary group to CANARY with a pause hook, and leaves placeholders when ELBv2 says nothing', async () => {
    cd.on(GetDeploymentGroupCommand).resolves({ deploymentGroupInfo: gatedGroup() });
    cd.on(GetDeploymentConfigCommand).resolves({
      deploymentConfigInfo: {
        computePlatform: 'ECS',
        trafficRoutingConfig: {
          type: 'TimeBasedCanary',
          timeBasedCanary: { canaryPercentage: 10, canaryInterval: 15 },
        },
      },
    });
    cd.on(ListDeploymentsCommand).resolves({ deployments: ['d-INFLIGHT01'] });
    elb.onAnyCommand().rejects(Object.assign(new Error('no'), { name: 'AccessDenied' }));
    const rt = fakeRuntime({ inputs: { ...inputs, 'check-migration': 'true' } });
    await runPlan(rt);
    const summary = rt.summaries[0] ?? '';
    expect(summary).toContain('❌ CodeDeploy deployment d-INFLIGHT01 is in flight');
    expect(summary).toContain("<ALTERNATE_TARGET_GROUP_ARN: the ARN of target group 'tg-green'");
    expect(summary).toContain('❔ The rules of the production listener could not be read (AccessDenied)');
    expect(summary).toContain('"strategy":"CANARY"');
    expect(summary).toContain('"canaryConfiguration":{"canaryPercent":10,"canaryBakeTimeInMinutes":15}');
    expect(summary).toContain(
      '"lifecycleHooks":[{"targetType":"PAUSE","lifecycleStages":["POST_TEST_TRAFFIC_SHIFT"],"timeoutConfiguration":{"timeoutInMinutes":60,"action":"ROLLBACK"}}]',
    );
    expect(summary).toContain('    CanaryPercent: 10');
    expect(onlyReads()).toEqual([]);
  });

  it('without check-migration the CodeDeploy plan makes no ELBv2 call and prints no switch', async () => {
    const rt = fakeRuntime({ inputs });
    await runPlan(rt);
    expect(rt.summaries[0]).not.toContain('Migration check');
    expect(elb.calls()).toHaveLength(0);
    expect(rt.outputs['deployment-controller']).toBe('CODE_DEPLOY');
  });

  it('refuses a check-migration value that is not a boolean, naming the input', async () => {
    const rt = fakeRuntime({ inputs: { ...inputs, 'check-migration': 'yes' } });
    await expect(runPlan(rt)).rejects.toThrow(/input 'check-migration'/);
  });
});
