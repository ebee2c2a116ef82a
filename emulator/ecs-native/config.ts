import {
  LAMBDA_HOOK_STAGES,
  NATIVE_STRATEGIES,
  PAUSE_HOOK_STAGES,
  type LifecycleStage,
  type NativeStrategy,
} from './stages.js';
import {
  type NativeLoadBalancer,
  type NativeHook,
  type NativeConfig,
  type NativeReadings,
  invalid,
} from './model.js';

// ───────────────────────────── configuration ─────────────────────────────

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function range(v: number | undefined, lo: number, hi: number, field: string): void {
  if (v !== undefined && (v < lo || v > hi))
    throw invalid(`${field} must be between ${lo} and ${hi}; got ${v}.`);
}

/** Validate and merge a `deploymentConfiguration` the way UpdateService takes it (only fields given change). */
export function mergeConfig(base: NativeConfig, raw: unknown): NativeConfig {
  if (raw === undefined || raw === null) return base;
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw invalid('deploymentConfiguration must be an object.');
  const c = raw as Record<string, unknown>;
  const out: NativeConfig = { ...base };
  if (c.strategy !== undefined) {
    if (!NATIVE_STRATEGIES.includes(c.strategy as NativeStrategy))
      throw invalid(
        `deploymentConfiguration.strategy must be one of ${NATIVE_STRATEGIES.join(', ')}; got ${String(c.strategy)}.`,
      );
    out.strategy = c.strategy as NativeStrategy;
  }
  if (num(c.maximumPercent) !== undefined) out.maximumPercent = num(c.maximumPercent)!;
  if (num(c.minimumHealthyPercent) !== undefined) out.minimumHealthyPercent = num(c.minimumHealthyPercent)!;
  if (c.bakeTimeInMinutes !== undefined) {
    range(num(c.bakeTimeInMinutes), 0, 1440, 'deploymentConfiguration.bakeTimeInMinutes');
    out.bakeTimeInMinutes = num(c.bakeTimeInMinutes);
  }
  if (c.linearConfiguration !== undefined) {
    const l = c.linearConfiguration as Record<string, unknown>;
    range(num(l.stepPercent), 3, 100, 'linearConfiguration.stepPercent');
    range(num(l.stepBakeTimeInMinutes), 0, 1440, 'linearConfiguration.stepBakeTimeInMinutes');
    out.linearConfiguration = {
      ...(num(l.stepPercent) !== undefined ? { stepPercent: num(l.stepPercent) } : {}),
      ...(num(l.stepBakeTimeInMinutes) !== undefined
        ? { stepBakeTimeInMinutes: num(l.stepBakeTimeInMinutes) }
        : {}),
    };
  }
  if (c.canaryConfiguration !== undefined) {
    const k = c.canaryConfiguration as Record<string, unknown>;
    range(num(k.canaryPercent), 0.1, 100, 'canaryConfiguration.canaryPercent');
    range(num(k.canaryBakeTimeInMinutes), 0, 1440, 'canaryConfiguration.canaryBakeTimeInMinutes');
    out.canaryConfiguration = {
      ...(num(k.canaryPercent) !== undefined ? { canaryPercent: num(k.canaryPercent) } : {}),
      ...(num(k.canaryBakeTimeInMinutes) !== undefined
        ? { canaryBakeTimeInMinutes: num(k.canaryBakeTimeInMinutes) }
        : {}),
    };
  }
  if (c.lifecycleHooks !== undefined) out.lifecycleHooks = parseHooks(c.lifecycleHooks);
  if (c.deploymentCircuitBreaker !== undefined) {
    const b = c.deploymentCircuitBreaker as Record<string, unknown>;
    if (typeof b.enable !== 'boolean' || typeof b.rollback !== 'boolean')
      throw invalid(
        'deploymentCircuitBreaker.enable and deploymentCircuitBreaker.rollback are required booleans.',
      );
    out.deploymentCircuitBreaker = {
      enable: b.enable,
      rollback: b.rollback,
      ...(typeof b.resetOnHealthyTask === 'boolean' ? { resetOnHealthyTask: b.resetOnHealthyTask } : {}),
      ...(b.thresholdConfiguration !== undefined
        ? { thresholdConfiguration: b.thresholdConfiguration as { type?: string; value?: number } }
        : {}),
    };
  }
  if (c.alarms !== undefined) {
    const a = c.alarms as Record<string, unknown>;
    if (!Array.isArray(a.alarmNames) || typeof a.enable !== 'boolean' || typeof a.rollback !== 'boolean')
      throw invalid('alarms.alarmNames, alarms.enable and alarms.rollback are required.');
    out.alarms = { alarmNames: a.alarmNames.map(String), enable: a.enable, rollback: a.rollback };
  }
  return out;
}

function parseHooks(raw: unknown): NativeHook[] {
  if (!Array.isArray(raw)) throw invalid('deploymentConfiguration.lifecycleHooks must be a list.');
  const hooks = raw.map((h, i) => {
    const o = (h ?? {}) as Record<string, unknown>;
    const where = `deploymentConfiguration.lifecycleHooks[${i}]`;
    const targetType = (o.targetType ?? 'AWS_LAMBDA') as string;
    if (targetType !== 'AWS_LAMBDA' && targetType !== 'PAUSE')
      throw invalid(`${where}.targetType must be AWS_LAMBDA or PAUSE; got ${targetType}.`);
    const stages = o.lifecycleStages;
    if (!Array.isArray(stages) || stages.length === 0)
      throw invalid(`${where}.lifecycleStages must name at least one stage.`);
    const allowed = targetType === 'PAUSE' ? PAUSE_HOOK_STAGES : LAMBDA_HOOK_STAGES;
    for (const s of stages)
      if (!allowed.includes(s as LifecycleStage))
        throw invalid(
          `${where}.lifecycleStages: ${String(s)} is not a stage a ${targetType} hook can use; use one of ${allowed.join(', ')}.`,
        );
    if (targetType === 'AWS_LAMBDA') {
      if (typeof o.hookTargetArn !== 'string' || o.hookTargetArn === '')
        throw invalid(`${where}.hookTargetArn is required for an AWS_LAMBDA hook.`);
      if (typeof o.roleArn !== 'string' || o.roleArn === '')
        throw invalid(`${where}.roleArn is required for an AWS_LAMBDA hook.`);
    }
    const t = (o.timeoutConfiguration ?? undefined) as Record<string, unknown> | undefined;
    if (t) {
      range(
        num(t.timeoutInMinutes),
        1,
        targetType === 'PAUSE' ? 20160 : 1440,
        `${where}.timeoutConfiguration.timeoutInMinutes`,
      );
      if (t.action !== undefined && t.action !== 'ROLLBACK' && t.action !== 'CONTINUE')
        throw invalid(`${where}.timeoutConfiguration.action must be ROLLBACK or CONTINUE.`);
    }
    const hook: NativeHook = {
      targetType: targetType as 'AWS_LAMBDA' | 'PAUSE',
      lifecycleStages: stages as LifecycleStage[],
      ...(typeof o.hookTargetArn === 'string' ? { hookTargetArn: o.hookTargetArn } : {}),
      ...(typeof o.roleArn === 'string' ? { roleArn: o.roleArn } : {}),
      ...(o.hookDetails !== undefined ? { hookDetails: o.hookDetails } : {}),
      ...(t
        ? {
            timeoutConfiguration: {
              ...(num(t.timeoutInMinutes) !== undefined ? { timeoutInMinutes: num(t.timeoutInMinutes) } : {}),
              ...(t.action !== undefined ? { action: t.action as 'ROLLBACK' | 'CONTINUE' } : {}),
            },
          }
        : {}),
    };
    return hook;
  });
  if (hooks.filter((h) => h.targetType === 'PAUSE').length > 10)
    throw invalid('A service can have at most 10 PAUSE lifecycle hooks.');
  if (hooks.filter((h) => h.targetType === 'AWS_LAMBDA').length > 10)
    throw invalid('A service can have at most 10 AWS_LAMBDA lifecycle hooks.');
  return hooks;
}

/** The bake ECS takes when none is given, by the CloudFormation reference's reading: 36 hours. */
export const CLOUDFORMATION_DEFAULT_BAKE_MINUTES = 2160;

/**
 * A deploymentConfiguration without bakeTimeInMinutes, as the chosen reading of AWS's pages has it
 * (NativeReadings.missingBakeTime): rejected for BLUE_GREEN, or 2160 minutes for every strategy but ROLLING.
 */
export function applyMissingBakeTime(
  config: NativeConfig,
  reading: NativeReadings['missingBakeTime'],
): NativeConfig {
  if (config.strategy === 'ROLLING' || config.bakeTimeInMinutes !== undefined) return config;
  if (reading === 'cloudformation')
    return { ...config, bakeTimeInMinutes: CLOUDFORMATION_DEFAULT_BAKE_MINUTES };
  if (config.strategy === 'BLUE_GREEN')
    throw invalid(
      'deploymentConfiguration.bakeTimeInMinutes: You must provide this parameter when you use the BLUE_GREEN deployment strategy.',
    );
  return config;
}

export function defaultConfig(): NativeConfig {
  return {
    strategy: 'ROLLING',
    maximumPercent: 200,
    minimumHealthyPercent: 100,
    lifecycleHooks: [],
    deploymentCircuitBreaker: { enable: false, rollback: false },
    alarms: { alarmNames: [], enable: false, rollback: false },
  };
}

export function configWire(c: NativeConfig): Record<string, unknown> {
  return {
    strategy: c.strategy,
    maximumPercent: c.maximumPercent,
    minimumHealthyPercent: c.minimumHealthyPercent,
    deploymentCircuitBreaker: c.deploymentCircuitBreaker,
    alarms: c.alarms,
    ...(c.bakeTimeInMinutes !== undefined ? { bakeTimeInMinutes: c.bakeTimeInMinutes } : {}),
    ...(c.linearConfiguration ? { linearConfiguration: c.linearConfiguration } : {}),
    ...(c.canaryConfiguration ? { canaryConfiguration: c.canaryConfiguration } : {}),
    ...(c.lifecycleHooks.length ? { lifecycleHooks: c.lifecycleHooks } : {}),
  };
}

export function parseLoadBalancers(raw: unknown): NativeLoadBalancer[] {
  if (!Array.isArray(raw)) throw invalid('loadBalancers must be a list.');
  return raw.map((lb, i) => {
    const o = (lb ?? {}) as Record<string, unknown>;
    const out: NativeLoadBalancer = {};
    if (typeof o.targetGroupArn === 'string') out.targetGroupArn = o.targetGroupArn;
    if (typeof o.containerName === 'string') out.containerName = o.containerName;
    if (typeof o.containerPort === 'number') out.containerPort = o.containerPort;
    if (o.advancedConfiguration !== undefined && o.advancedConfiguration !== null) {
      const a = o.advancedConfiguration as Record<string, unknown>;
      if (typeof a.alternateTargetGroupArn !== 'string' || typeof a.productionListenerRule !== 'string')
        throw invalid(
          `loadBalancers[${i}].advancedConfiguration needs alternateTargetGroupArn and productionListenerRule.`,
        );
      out.advancedConfiguration = {
        alternateTargetGroupArn: a.alternateTargetGroupArn,
        productionListenerRule: a.productionListenerRule,
        ...(typeof a.testListenerRule === 'string' ? { testListenerRule: a.testListenerRule } : {}),
        ...(typeof a.roleArn === 'string' ? { roleArn: a.roleArn } : {}),
      };
    }
    return out;
  });
}
