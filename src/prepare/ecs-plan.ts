/**
 * What an ECS-native deployment of a service (deploymentController ECS) will go through, from the service's
 * own settings: the strategy, the lifecycle stages in order, the hooks at each stage (and which of them pause
 * the deployment), the production traffic steps of LINEAR and CANARY with their bakes, the bake time, the
 * circuit breaker and alarms. Pure functions over the DescribeServices answer; the plan command shows them.
 *
 * Sources (keys of the project's reference notes, ecs-native-deployments.md, kept outside this repository): stage order and meanings DG-BG (ref §4);
 * recurring stages and parallel hooks DG-HOOKS, DG-PAUSE; hook rules and defaults SDK `DeploymentLifecycleHook`
 * (ref §2); step defaults SDK `LinearConfiguration` / `CanaryConfiguration`; NLB delays DG-NLB; headless
 * blue/green DG-IMPL. [U] marks what is unconfirmed. The problems listed here are warnings: the ECS-native
 * deploy preflight (src/ecs/) is what refuses them.
 */
import type { DeploymentConfiguration, DeploymentLifecycleHook, Service } from '@aws-sdk/client-ecs';
import { listenerKind, type ListenerRuleInfo } from '../aws/elbv2-reads.js';
import { code, codeCell } from '../action/markdown.js';

export const ECS_STRATEGIES = ['ROLLING', 'BLUE_GREEN', 'LINEAR', 'CANARY'] as const;
export type EcsStrategy = (typeof ECS_STRATEGIES)[number];

/** Stage order for BLUE_GREEN, LINEAR and CANARY (DG-BG), with what happens in each. */
export const BLUE_GREEN_STAGES: readonly { stage: string; what: string; lambda: boolean; pause: boolean }[] =
  [
    {
      stage: 'RECONCILE_SERVICE',
      what: 'more than one revision is active: ECS reconciles them first',
      lambda: true,
      pause: true,
    },
    { stage: 'PRE_SCALE_UP', what: 'green not started; blue serves 100 %', lambda: true, pause: true },
    { stage: 'SCALE_UP', what: 'green scales to full size, no traffic', lambda: false, pause: false },
    { stage: 'POST_SCALE_UP', what: 'green healthy, no traffic', lambda: true, pause: true },
    { stage: 'TEST_TRAFFIC_SHIFT', what: 'test traffic moves to green', lambda: true, pause: false },
    { stage: 'POST_TEST_TRAFFIC_SHIFT', what: 'green has 100 % of test traffic', lambda: true, pause: true },
    {
      stage: 'PRE_PRODUCTION_TRAFFIC_SHIFT',
      what: 'before the production shift',
      lambda: true,
      pause: true,
    },
    { stage: 'PRODUCTION_TRAFFIC_SHIFT', what: 'production weights move', lambda: true, pause: false },
    {
      stage: 'POST_PRODUCTION_TRAFFIC_SHIFT',
      what: 'production traffic fully on green',
      lambda: true,
      pause: true,
    },
    {
      stage: 'BAKE_TIME',
      what: 'both revisions run; blue gets no production traffic',
      lambda: false,
      pause: false,
    },
    { stage: 'CLEAN_UP', what: 'blue scaled to 0; green is production', lambda: false, pause: false },
  ];

export interface PlannedHook {
  kind: 'lambda' | 'pause';
  /** the Lambda ARN; none for pause hooks */
  target?: string;
  timeoutMinutes: number;
  onTimeout: 'ROLLBACK' | 'CONTINUE';
}

export interface PlannedStage {
  stage: string;
  what: string;
  hooks: PlannedHook[];
  /** LINEAR/CANARY: which production step this row is (1-based), and the production weight after it */
  step?: { index: number; of: number; percent: number };
  /** minutes ECS waits after this row (a step bake, or the bake time) */
  bakeMinutes?: number;
}

export interface EcsStagePlan {
  strategy: EcsStrategy;
  stages: PlannedStage[];
  /** production weights of green after each step (one entry, 100, for BLUE_GREEN) */
  steps: number[];
  stepBakeMinutes?: number;
  bakeMinutes?: number;
  notes: string[];
  /** what the deploy will refuse or what fails at run time */
  problems: string[];
}

function hookOf(hook: DeploymentLifecycleHook): PlannedHook {
  const pause = hook.targetType === 'PAUSE';
  return {
    kind: pause ? 'pause' : 'lambda',
    target: pause ? undefined : hook.hookTargetArn,
    // Default 1440 min (24 h) for both kinds, action ROLLBACK (SDK `HookTimeoutConfiguration`, DG-PAUSE).
    timeoutMinutes: hook.timeoutConfiguration?.timeoutInMinutes ?? 1440,
    onTimeout: hook.timeoutConfiguration?.action === 'CONTINUE' ? 'CONTINUE' : 'ROLLBACK',
  };
}

/** Green's production weight after each step: LINEAR stepPercent, 2×, … 100; CANARY canaryPercent, 100. */
export function productionSteps(config: DeploymentConfiguration | undefined): number[] {
  const strategy = config?.strategy;
  if (strategy === 'LINEAR') {
    const step = config?.linearConfiguration?.stepPercent ?? 10;
    const steps: number[] = [];
    // Tenths, as the API takes them (0.1 steps), so 3 × 33.3 is not 99.89999.
    for (let tenths = Math.round(step * 10); tenths < 1000; tenths += Math.round(step * 10))
      steps.push(tenths / 10);
    return [...steps, 100];
  }
  if (strategy === 'CANARY') {
    const canary = config?.canaryConfiguration?.canaryPercent ?? 5;
    return canary >= 100 ? [100] : [canary, 100];
  }
  return [100];
}

export function strategyOf(service: Service): EcsStrategy {
  const raw = service.deploymentConfiguration?.strategy;
  return (ECS_STRATEGIES as readonly string[]).includes(raw ?? '') ? (raw as EcsStrategy) : 'ROLLING';
}

/**
 * What AWS says of a service without bakeTimeInMinutes. Its pages disagree, and which holds is [U]: the ECS
 * API reference (SDK `DeploymentConfiguration`) says "You must provide this parameter when you use the
 * BLUE_GREEN deployment strategy"; the CloudFormation reference (AWS::ECS::Service DeploymentConfiguration)
 * says that without a value it is 36 hours (2160 minutes) for anything but rolling, EXTERNAL and CODE_DEPLOY.
 */
export function missingBakeTimeNote(strategy: string): string {
  return `bakeTimeInMinutes is not set on the service. ${strategy === 'BLUE_GREEN' ? 'The ECS API reference says you must provide it for BLUE_GREEN; the' : 'The ECS API reference requires it only for BLUE_GREEN; the'} CloudFormation reference says ECS then bakes 36 hours (2160 minutes) [U: AWS's pages disagree]. Set it (0–1440 minutes) with UpdateService deploymentConfiguration.bakeTimeInMinutes.`;
}

/** The stages, hooks, steps and bakes an ECS-native deployment of this service will go through. */
export function ecsStagePlan(service: Service): EcsStagePlan {
  const config = service.deploymentConfiguration;
  const strategy = strategyOf(service);
  const hooks = config?.lifecycleHooks ?? [];
  const notes: string[] = [];
  const problems: string[] = [];
  const hooksAt = (stage: string) =>
    hooks.filter((h) => (h.lifecycleStages ?? []).some((s) => s === stage)).map(hookOf);

  for (const hook of hooks) {
    const stages = hook.lifecycleStages ?? [];
    if (stages.length === 0)
      problems.push('A lifecycle hook names no lifecycle stage (lifecycleStages is required).');
    if (hook.targetType === 'PAUSE') {
      for (const s of stages.filter((x) => x === 'TEST_TRAFFIC_SHIFT' || x === 'PRODUCTION_TRAFFIC_SHIFT'))
        problems.push(
          `A PAUSE hook is set at ${s}, where ECS does not allow pause hooks (DG pause-lifecycle-hooks).`,
        );
    } else if (!hook.hookTargetArn) {
      problems.push(`A Lambda lifecycle hook at ${stages.join(', ')} has no hookTargetArn.`);
    }
  }
  const counts = { PAUSE: 0, AWS_LAMBDA: 0 };
  for (const hook of hooks) counts[hook.targetType === 'PAUSE' ? 'PAUSE' : 'AWS_LAMBDA'] += 1;
  if (counts.PAUSE > 10 || counts.AWS_LAMBDA > 10)
    problems.push(
      'More than 10 pause hooks or 10 Lambda hooks on the service (DG pause-lifecycle-hooks allows 10 of each).',
    );

  if (strategy === 'ROLLING') {
    const dc = config ?? {};
    notes.push(
      `Rolling update: ECS replaces tasks keeping ${dc.minimumHealthyPercent ?? 100} %–${dc.maximumPercent ?? 200} % of the desired count running. It reports no lifecycle stage; the stages below are this action's model of it (unconfirmed).`,
    );
    const stages = ['PRE_SCALE_UP', 'SCALE_UP', 'POST_SCALE_UP', 'CLEAN_UP'].map((stage) => ({
      stage,
      what: BLUE_GREEN_STAGES.find((s) => s.stage === stage)?.what.replace('green', 'new tasks') ?? '',
      hooks: hooksAt(stage),
    }));
    return { strategy, stages, steps: [100], notes, problems };
  }

  const steps = productionSteps(config);
  const stepBakeMinutes =
    strategy === 'LINEAR'
      ? (config?.linearConfiguration?.stepBakeTimeInMinutes ?? 6)
      : strategy === 'CANARY'
        ? (config?.canaryConfiguration?.canaryBakeTimeInMinutes ?? 10)
        : undefined;
  const bakeMinutes = config?.bakeTimeInMinutes;
  const reconcile = (service.currentServiceRevisions?.length ?? 0) > 1;
  if (!reconcile) notes.push('RECONCILE_SERVICE is skipped: only one revision is active now.');
  if (bakeMinutes === undefined) notes.push(missingBakeTimeNote(strategy));

  const stages: PlannedStage[] = [];
  for (const s of BLUE_GREEN_STAGES) {
    if (s.stage === 'RECONCILE_SERVICE' && !reconcile) continue;
    if (s.stage === 'PRE_PRODUCTION_TRAFFIC_SHIFT' || s.stage === 'PRODUCTION_TRAFFIC_SHIFT') continue;
    if (s.stage === 'POST_PRODUCTION_TRAFFIC_SHIFT') {
      // PRE_PRODUCTION_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT recur at every step (DG-HOOKS).
      steps.forEach((percent, i) => {
        const step = steps.length > 1 ? { index: i + 1, of: steps.length, percent } : undefined;
        stages.push({
          stage: 'PRE_PRODUCTION_TRAFFIC_SHIFT',
          what: 'before the production shift',
          hooks: hooksAt('PRE_PRODUCTION_TRAFFIC_SHIFT'),
          step,
        });
        stages.push({
          stage: 'PRODUCTION_TRAFFIC_SHIFT',
          what: `production weights move: green ${percent} %`,
          hooks: hooksAt('PRODUCTION_TRAFFIC_SHIFT'),
          step,
          // The step bake is not applied after 100 % (SDK `LinearConfiguration`).
          ...(stepBakeMinutes !== undefined && i < steps.length - 1 ? { bakeMinutes: stepBakeMinutes } : {}),
        });
      });
    }
    stages.push({
      stage: s.stage,
      what: s.what,
      hooks: hooksAt(s.stage),
      ...(s.stage === 'BAKE_TIME' && bakeMinutes !== undefined ? { bakeMinutes } : {}),
    });
  }

  const lbs = service.loadBalancers ?? [];
  if (lbs.length === 0 && !service.deployments?.some((d) => d.serviceConnectConfiguration?.enabled)) {
    notes.push(
      'No load balancer and no Service Connect: ECS runs the stages but shifts no traffic (DG blue-green-deployment-implementation).',
    );
  }
  for (const lb of lbs) {
    const adv = lb.advancedConfiguration;
    const where = `load balancer of ${lb.containerName ?? '?'}:${lb.containerPort ?? '?'}`;
    if (!adv) {
      problems.push(
        `The ${where} has no advancedConfiguration (alternateTargetGroupArn, productionListenerRule, roleArn): a ${strategy} deployment cannot shift its traffic.`,
      );
      continue;
    }
    const missing = (['alternateTargetGroupArn', 'productionListenerRule', 'roleArn'] as const).filter(
      (k) => !adv[k],
    );
    if (missing.length)
      problems.push(
        `The ${where}'s advancedConfiguration lacks ${missing.join(', ')} (SDK AdvancedConfiguration).`,
      );
    if (listenerKind(adv.productionListenerRule) === 'nlb')
      notes.push(
        'Network Load Balancer: ECS adds about 10 minutes to TEST_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT (DG nlb-resources-for-blue-green).',
      );
  }
  return { strategy, stages, steps, stepBakeMinutes, bakeMinutes, notes, problems };
}

/**
 * Problems of the listener rules named by the service's advancedConfiguration: both target groups must be
 * associated with the production rule or the test rule (DG-MIG), and rules mixing forward with other
 * actions fail the deployment (DG-ALB). `rules` are the rules DescribeRules returned for those ARNs.
 */
export function listenerRuleProblems(service: Service, rules: ListenerRuleInfo[]): string[] {
  const problems: string[] = [];
  for (const lb of service.loadBalancers ?? []) {
    const adv = lb.advancedConfiguration;
    if (!adv?.productionListenerRule || listenerKind(adv.productionListenerRule) === 'nlb') continue;
    const named = [adv.productionListenerRule, adv.testListenerRule].filter((a): a is string => !!a);
    const found = rules.filter((r) => named.includes(r.ruleArn));
    for (const arn of named.filter((a) => !found.some((r) => r.ruleArn === a)))
      problems.push(`Listener rule ${arn} was not found.`);
    const held = new Set(found.flatMap((r) => r.targetGroupArns));
    const lacking = [lb.targetGroupArn, adv.alternateTargetGroupArn].filter(
      (tg): tg is string => !!tg && !held.has(tg),
    );
    if (lacking.length)
      problems.push(
        `Target group ${lacking.join(' and ')} is on neither the production nor the test listener rule: "Both targetGroup and alternateTargetGroup must be associated with the productionListenerRule or testListenerRule" (DG migrate-code-deploy-to-ecs-blue-green); the deployment would roll back.`,
      );
    for (const r of found.filter((x) => x.otherActions.length))
      problems.push(
        `Listener rule ${r.ruleArn} mixes forward with ${r.otherActions.join(', ')} actions, which fails the deployment (DG alb-resources-for-blue-green).`,
      );
  }
  return problems;
}

function hookText(h: PlannedHook): string {
  if (h.kind === 'pause')
    return `⏸ PAUSE until ContinueServiceDeployment (timeout ${h.timeoutMinutes} min → ${h.onTimeout})`;
  return `λ ${codeCell(h.target ?? '?')} (timeout ${h.timeoutMinutes} min → ${h.onTimeout})`;
}

/** The plan's Markdown for the strategy, steps, bakes, failure detection and stages. */
export function renderEcsStagePlan(service: Service, plan: EcsStagePlan): string {
  const config = service.deploymentConfiguration;
  const lines: string[] = [];
  lines.push(
    `- ECS deployment controller, strategy **${plan.strategy}** (ECS runs the deployment; no CodeDeploy)`,
  );
  if (plan.strategy === 'LINEAR' || plan.strategy === 'CANARY') {
    lines.push(
      `- Production traffic to green in ${plan.steps.length} steps: ${plan.steps.map((p) => `${p} %`).join(' → ')}, ${plan.stepBakeMinutes} min bake after each step but the last`,
    );
  }
  if (plan.strategy !== 'ROLLING')
    lines.push(
      `- Bake time: ${plan.bakeMinutes ?? '?'} min after production traffic is fully shifted (both revisions run; an alarm or a stop returns traffic to blue)`,
    );
  const cb = config?.deploymentCircuitBreaker;
  lines.push(
    `- Circuit breaker: ${cb?.enable ? `on${cb.rollback ? ', rolls back' : ', stops without rollback'}` : 'off'}${plan.strategy !== 'ROLLING' && cb?.enable ? ' (with blue/green strategies: AWS pages disagree, unconfirmed)' : ''}`,
  );
  const alarms = config?.alarms;
  lines.push(
    `- Alarms: ${alarms?.enable && alarms.alarmNames?.length ? `${alarms.alarmNames.map((a) => code(a)).join(', ')}${alarms.rollback ? ', roll back' : ', stop'}${plan.strategy !== 'ROLLING' ? ' (watched through the bake)' : ''}` : 'none'}`,
  );
  const pauses = plan.stages.filter((s) => s.hooks.some((h) => h.kind === 'pause'));
  if (pauses.length)
    lines.push(
      `- Pauses: the deployment waits for ContinueServiceDeployment at ${[...new Set(pauses.map((s) => s.stage))].join(', ')}${pauses.length > 1 ? ` (${pauses.length} times)` : ''}`,
    );
  for (const lb of service.loadBalancers ?? []) {
    const adv = lb.advancedConfiguration;
    lines.push(
      `- Traffic of ${code(`${lb.containerName ?? '?'}:${lb.containerPort ?? '?'}`)}: production ${code(lb.targetGroupArn ?? '?')}${adv ? `, alternate ${code(adv.alternateTargetGroupArn ?? '?')}; production rule ${code(adv.productionListenerRule ?? '?')}${adv.testListenerRule ? `, test rule ${code(adv.testListenerRule)}` : ', no test rule'}; infrastructure role ${code(adv.roleArn ?? '?')}` : ''}`,
    );
  }
  // the notes are the action's own sentences (numbers and constants, no AWS text)
  for (const note of plan.notes) lines.push(`- ${note}`);
  lines.push(
    '',
    '### Stages, in order',
    '',
    '| # | Stage | What happens | Hooks | Then waits |',
    '|---|---|---|---|---|',
  );
  plan.stages.forEach((s, i) => {
    const stage = s.step ? `${s.stage} (step ${s.step.index}/${s.step.of})` : s.stage;
    lines.push(
      `| ${i + 1} | ${stage} | ${s.what} | ${s.hooks.map(hookText).join('<br>') || '—'} | ${s.bakeMinutes !== undefined ? `${s.bakeMinutes} min` : ''} |`,
    );
  });
  return lines.join('\n');
}
