/**
 * The plan bundle (dist/plan) against the emulator: an ECS-native service shows its strategy, stages, hooks,
 * steps and bakes; check-migration on a CodeDeploy service lists what it lacks and prints the switch. Both
 * runs are read only: the emulator's snapshot is the same after them, and no call is a mutating one.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { annotations, callNames, MUTATING_ACTIONS, startWorld, type World } from './harness.js';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world.stop();
});

function readOnlyRun(before: string, callsBefore: number): void {
  expect(world.emulator.snapshot()).toBe(before);
  const made = callNames(world.emulator).slice(callsBefore);
  expect(made.length).toBeGreaterThan(2);
  expect(
    made.filter((a) => MUTATING_ACTIONS.includes(a) || !/^(Describe|List|Get|AssumeRole)/.test(a)),
  ).toEqual([]);
}

describe('plan bundle', () => {
  it('shows what ECS will go through for a LINEAR service with a pause, and changes nothing', async () => {
    const s = world.emulator.seed.ecsNativeService({
      strategy: 'LINEAR',
      linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 2 },
      bakeTimeInMinutes: 10,
      lifecycleHooks: [
        {
          targetType: 'PAUSE',
          lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
          timeoutConfiguration: { timeoutInMinutes: 60 },
        },
      ],
      deploymentCircuitBreaker: { enable: true, rollback: true },
    });
    world.useService(s);
    const before = world.emulator.snapshot();
    const callsBefore = world.emulator.calls.length;
    const result = await world.run('dist/plan/index.js', {
      ...world.baseInputs,
      cluster: s.cluster,
      service: s.service,
      'container-name': s.containerName,
      'codedeploy-appspec': undefined,
    });
    expect(result.exitCode).toBe(0);
    expect(result.outputs.strategy).toBe('LINEAR');
    expect(result.outputs['deployment-controller']).toBe('ECS');
    expect(result.outputs['running-task-definition-arn']).toBe(s.taskDefinitionArn);
    const summary = result.summary;
    expect(summary).toContain(`## Plan: deploy to \`${s.cluster}/${s.service}\``);
    expect(summary).toContain('strategy **LINEAR**');
    expect(summary).toContain('4 steps: 25 % → 50 % → 75 % → 100 %, 2 min bake after each step but the last');
    expect(summary).toContain('Bake time: 10 min');
    expect(summary).toContain('Circuit breaker: on, rolls back');
    expect(summary).toContain(
      '| POST_TEST_TRAFFIC_SHIFT | green has 100 % of test traffic | ⏸ PAUSE until ContinueServiceDeployment (timeout 60 min → ROLLBACK) |',
    );
    expect(summary).toContain(`production rule \`${s.productionListenerRuleArn}\``);
    expect(summary.match(/\| PRODUCTION_TRAFFIC_SHIFT \(step \d\/4\)/g)).toHaveLength(4);
    // The listener rules are read (ELBv2 DescribeRules) and hold both target groups: nothing to warn about.
    const warnings = annotations(result.stdout, 'warning').join('\n');
    expect(warnings).not.toContain('Could not read the listener rules');
    expect(warnings).not.toContain('is on neither the production nor the test listener rule');
    readOnlyRun(before, callsBefore);
  });

  it('says what AWS says of a BLUE_GREEN service without bakeTimeInMinutes', async () => {
    const s = world.emulator.seed.ecsNativeService({
      strategy: 'BLUE_GREEN',
      service: 'no-bake',
      bakeTimeInMinutes: null,
    });
    world.useService(s);
    const result = await world.run('dist/plan/index.js', {
      ...world.baseInputs,
      cluster: s.cluster,
      service: s.service,
      'container-name': s.containerName,
      'codedeploy-appspec': undefined,
    });
    expect(result.exitCode).toBe(0);
    expect(result.summary).toContain(
      'bakeTimeInMinutes is not set on the service. The ECS API reference says you must provide it for BLUE_GREEN; the CloudFormation reference says ECS then bakes 36 hours (2160 minutes)',
    );
    expect(result.summary).not.toContain('ECS applies its default');
  });

  it('check-migration on the CodeDeploy service lists what it lacks and the switch, and changes nothing', async () => {
    world.useService(world.seeded);
    const before = world.emulator.snapshot();
    const callsBefore = world.emulator.calls.length;
    const result = await world.run('dist/plan/index.js', { ...world.baseInputs, 'check-migration': 'true' });
    expect(result.exitCode).toBe(0);
    expect(result.outputs['deployment-controller']).toBe('CODE_DEPLOY');
    const summary = result.summary;
    // sources in the words of AWS's pages: no key of the project's reference notes reaches the reviewer
    expect(summary).not.toMatch(/\bDG-[A-Z]+\b|\[U\]|ref §|\bESP\b/);
    expect(summary).toContain('ECS Developer Guide, migrating from CodeDeploy blue/green to ECS blue/green');
    expect(summary).toContain('### Migration check: CodeDeploy → ECS blue/green (read only)');
    expect(summary).toContain('✅ The service has exactly one task set, and it is PRIMARY.');
    expect(summary).toContain('✅ No CodeDeploy deployment is in flight.');
    expect(summary).toContain('AmazonECSInfrastructureRolePolicyForLoadBalancers');
    expect(summary).toContain('aws ecs update-service \\');
    expect(summary).toContain(`--cluster ${world.seeded.cluster} --service ${world.seeded.service}`);
    expect(summary).toContain('<ROLE_ARN: an IAM role ECS assumes to manage the load balancer>');
    expect(summary).toContain('DeploymentController:\n  Type: ECS');
    expect(summary).toContain(
      // (the item's text quotes AWS, so it is escaped for the summary: BLUE\_GREEN renders as BLUE_GREEN)
      `✅ bakeTimeInMinutes, which ECS requires for BLUE\\_GREEN, is the group's termination wait:`,
    );
    expect(result.stdout).toContain('aws ecs update-service');
    readOnlyRun(before, callsBefore);
  });
});
