import { describe, expect, it } from '@jest/globals';
import type { Service } from '@aws-sdk/client-ecs';
import {
  ecsStagePlan,
  listenerRuleProblems,
  productionSteps,
  renderEcsStagePlan,
} from '../../../src/prepare/ecs-plan.js';

const RULE = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule/app/lb/1/2/3';
const TEST_RULE = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule/app/lb/1/4/5';

function nativeService(config: Service['deploymentConfiguration'], extra: Partial<Service> = {}): Service {
  return {
    serviceName: 'web',
    clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/demo',
    deploymentController: { type: 'ECS' },
    deploymentConfiguration: config,
    loadBalancers: [
      {
        targetGroupArn: 'arn:tg-blue',
        containerName: 'web',
        containerPort: 8080,
        advancedConfiguration: {
          alternateTargetGroupArn: 'arn:tg-green',
          productionListenerRule: RULE,
          testListenerRule: TEST_RULE,
          roleArn: 'arn:aws:iam::111122223333:role/infra',
        },
      },
    ],
    currentServiceRevisions: [{ arn: 'rev-1' }],
    ...extra,
  };
}

const names = (plan: ReturnType<typeof ecsStagePlan>) => plan.stages.map((s) => s.stage);

describe('productionSteps', () => {
  it('LINEAR climbs by stepPercent to 100, in tenths (no 99.8999)', () => {
    expect(productionSteps({ strategy: 'LINEAR', linearConfiguration: { stepPercent: 25 } })).toEqual([
      25, 50, 75, 100,
    ]);
    expect(productionSteps({ strategy: 'LINEAR', linearConfiguration: { stepPercent: 33.3 } })).toEqual([
      33.3, 66.6, 99.9, 100,
    ]);
    expect(productionSteps({ strategy: 'LINEAR' })).toHaveLength(10);
  });
  it('CANARY is canaryPercent (default 5) then 100; BLUE_GREEN is one shift', () => {
    expect(productionSteps({ strategy: 'CANARY' })).toEqual([5, 100]);
    expect(productionSteps({ strategy: 'CANARY', canaryConfiguration: { canaryPercent: 10 } })).toEqual([
      10, 100,
    ]);
    expect(productionSteps({ strategy: 'BLUE_GREEN' })).toEqual([100]);
  });
});

describe('ecsStagePlan', () => {
  it('BLUE_GREEN: the DG-BG order without RECONCILE_SERVICE when one revision is active, bake at BAKE_TIME', () => {
    const plan = ecsStagePlan(nativeService({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 15 }));
    expect(names(plan)).toEqual([
      'PRE_SCALE_UP',
      'SCALE_UP',
      'POST_SCALE_UP',
      'TEST_TRAFFIC_SHIFT',
      'POST_TEST_TRAFFIC_SHIFT',
      'PRE_PRODUCTION_TRAFFIC_SHIFT',
      'PRODUCTION_TRAFFIC_SHIFT',
      'POST_PRODUCTION_TRAFFIC_SHIFT',
      'BAKE_TIME',
      'CLEAN_UP',
    ]);
    expect(plan.stages.find((s) => s.stage === 'BAKE_TIME')?.bakeMinutes).toBe(15);
    expect(plan.problems).toEqual([]);
    expect(plan.notes.join('\n')).toContain('RECONCILE_SERVICE is skipped');
  });

  it('starts with RECONCILE_SERVICE when more than one revision is active', () => {
    const plan = ecsStagePlan(
      nativeService({ strategy: 'BLUE_GREEN' }, { currentServiceRevisions: [{ arn: 'a' }, { arn: 'b' }] }),
    );
    expect(names(plan)[0]).toBe('RECONCILE_SERVICE');
  });

  it('LINEAR repeats the pre-production and production shifts per step, with a step bake but after the last', () => {
    const plan = ecsStagePlan(
      nativeService({
        strategy: 'LINEAR',
        bakeTimeInMinutes: 5,
        linearConfiguration: { stepPercent: 50, stepBakeTimeInMinutes: 3 },
        lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['PRE_PRODUCTION_TRAFFIC_SHIFT'] }],
      }),
    );
    const shifts = plan.stages.filter((s) => s.stage === 'PRODUCTION_TRAFFIC_SHIFT');
    expect(shifts.map((s) => [s.step?.percent, s.bakeMinutes])).toEqual([
      [50, 3],
      [100, undefined],
    ]);
    const pauses = plan.stages.filter((s) => s.hooks.some((h) => h.kind === 'pause'));
    expect(pauses.map((s) => `${s.stage}#${s.step?.index}`)).toEqual([
      'PRE_PRODUCTION_TRAFFIC_SHIFT#1',
      'PRE_PRODUCTION_TRAFFIC_SHIFT#2',
    ]);
    const md = renderEcsStagePlan(nativeService({ strategy: 'LINEAR' }), plan);
    expect(md).toContain('2 steps: 50 % → 100 %, 3 min bake after each step but the last');
    expect(md).toContain('PRE_PRODUCTION_TRAFFIC_SHIFT (2 times)');
  });

  it('shows hooks with their kind, timeout and timeout action, defaulting to 1440 min and ROLLBACK', () => {
    const service = nativeService({
      strategy: 'CANARY',
      lifecycleHooks: [
        {
          targetType: 'AWS_LAMBDA',
          hookTargetArn: 'arn:aws:lambda:us-east-1:111122223333:function:smoke',
          lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
        },
        {
          targetType: 'PAUSE',
          lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
          timeoutConfiguration: { timeoutInMinutes: 60, action: 'CONTINUE' },
        },
      ],
    });
    const plan = ecsStagePlan(service);
    expect(plan.stages.find((s) => s.stage === 'POST_TEST_TRAFFIC_SHIFT')?.hooks).toEqual([
      {
        kind: 'lambda',
        target: 'arn:aws:lambda:us-east-1:111122223333:function:smoke',
        timeoutMinutes: 1440,
        onTimeout: 'ROLLBACK',
      },
      { kind: 'pause', target: undefined, timeoutMinutes: 60, onTimeout: 'CONTINUE' },
    ]);
    expect(plan.stepBakeMinutes).toBe(10);
  });

  it('lists a pause hook at a traffic shift and a missing advancedConfiguration as problems', () => {
    const plan = ecsStagePlan(
      nativeService(
        {
          strategy: 'BLUE_GREEN',
          lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['TEST_TRAFFIC_SHIFT'] }],
        },
        { loadBalancers: [{ targetGroupArn: 'arn:tg-blue', containerName: 'web', containerPort: 8080 }] },
      ),
    );
    expect(plan.problems).toEqual([
      expect.stringContaining('PAUSE hook is set at TEST_TRAFFIC_SHIFT'),
      expect.stringContaining('has no advancedConfiguration'),
    ]);
  });

  it('ROLLING: no bake, no traffic stages, and says it reports no lifecycle stage', () => {
    const plan = ecsStagePlan(nativeService({ strategy: 'ROLLING', minimumHealthyPercent: 50 }));
    expect(names(plan)).toEqual(['PRE_SCALE_UP', 'SCALE_UP', 'POST_SCALE_UP', 'CLEAN_UP']);
    expect(plan.notes[0]).toContain('50 %–200 %');
    expect(ecsStagePlan(nativeService(undefined)).strategy).toBe('ROLLING');
  });
});

describe('listenerRuleProblems', () => {
  const rule = (ruleArn: string, targetGroupArns: string[], otherActions: string[] = []) => ({
    ruleArn,
    isDefault: false,
    targetGroupArns,
    otherActions,
  });
  it('passes when the two rules hold both target groups between them', () => {
    const s = nativeService({ strategy: 'BLUE_GREEN' });
    expect(listenerRuleProblems(s, [rule(RULE, ['arn:tg-blue']), rule(TEST_RULE, ['arn:tg-green'])])).toEqual(
      [],
    );
  });
  it('names the target group on neither rule, a missing rule and mixed actions', () => {
    const s = nativeService({ strategy: 'BLUE_GREEN' });
    const problems = listenerRuleProblems(s, [rule(RULE, ['arn:tg-blue'], ['fixed-response'])]);
    expect(problems).toEqual([
      `Listener rule ${TEST_RULE} was not found.`,
      expect.stringMatching(
        /^Target group arn:tg-green is on neither .*Both targetGroup and alternateTargetGroup/,
      ),
      expect.stringContaining('mixes forward with fixed-response'),
    ]);
  });
});
