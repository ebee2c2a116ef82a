/**
 * The emulator's OWN copy of the ECS-native deployment vocabulary: strategies, statuses, lifecycle stages and
 * where hooks may run. Kept apart from the action's copy on purpose (issue #11): if the two drift, the
 * end-to-end tests show it. Sources: @aws-sdk/client-ecs 3.1164.0 `models/enums.d.ts` and the ECS Developer
 * Guide pages `blue-green-deployment-how-it-works` and `pause-lifecycle-hooks` (see emulator/README.md,
 * "ECS-native deployments").
 */

export type NativeStrategy = 'ROLLING' | 'BLUE_GREEN' | 'LINEAR' | 'CANARY';
export const NATIVE_STRATEGIES: NativeStrategy[] = ['ROLLING', 'BLUE_GREEN', 'LINEAR', 'CANARY'];

/** SDK `ServiceDeploymentStatus`. */
export type ServiceDeploymentStatus =
  | 'PENDING'
  | 'IN_PROGRESS'
  | 'SUCCESSFUL'
  | 'STOPPED'
  | 'STOP_REQUESTED'
  | 'ROLLBACK_REQUESTED'
  | 'ROLLBACK_IN_PROGRESS'
  | 'ROLLBACK_SUCCESSFUL'
  | 'ROLLBACK_FAILED';

export const SERVICE_DEPLOYMENT_STATUSES: ServiceDeploymentStatus[] = [
  'PENDING',
  'IN_PROGRESS',
  'SUCCESSFUL',
  'STOPPED',
  'STOP_REQUESTED',
  'ROLLBACK_REQUESTED',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_SUCCESSFUL',
  'ROLLBACK_FAILED',
];

export const TERMINAL_STATUSES: ServiceDeploymentStatus[] = [
  'SUCCESSFUL',
  'STOPPED',
  'ROLLBACK_SUCCESSFUL',
  'ROLLBACK_FAILED',
];

/**
 * Lifecycle stages in the order ECS runs them for BLUE_GREEN, LINEAR and CANARY (DG blue-green-deployment-how-it-works).
 * PRE_PRODUCTION_TRAFFIC_SHIFT is missing from the SDK's `ServiceDeploymentLifecycleStage` enum but present in
 * the hook-stage enum and the field documentation; the emulator reports it.
 */
export type LifecycleStage =
  | 'RECONCILE_SERVICE'
  | 'PRE_SCALE_UP'
  | 'SCALE_UP'
  | 'POST_SCALE_UP'
  | 'TEST_TRAFFIC_SHIFT'
  | 'POST_TEST_TRAFFIC_SHIFT'
  | 'PRE_PRODUCTION_TRAFFIC_SHIFT'
  | 'PRODUCTION_TRAFFIC_SHIFT'
  | 'POST_PRODUCTION_TRAFFIC_SHIFT'
  | 'BAKE_TIME'
  | 'CLEAN_UP';

export const STAGE_ORDER: LifecycleStage[] = [
  'RECONCILE_SERVICE',
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
];

/** Stages a Lambda hook may name (SDK `DeploymentLifecycleHookStage`). */
export const LAMBDA_HOOK_STAGES: LifecycleStage[] = [
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRE_PRODUCTION_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
];

/** Pause hooks: not at TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT (DG pause-lifecycle-hooks). */
export const PAUSE_HOOK_STAGES: LifecycleStage[] = LAMBDA_HOOK_STAGES.filter(
  (s) => s !== 'TEST_TRAFFIC_SHIFT' && s !== 'PRODUCTION_TRAFFIC_SHIFT',
);

/** Stages a ROLLING deployment passes (emulator model, [U]); ROLLING reports no `lifecycleStage` on the wire. */
export const ROLLING_STAGES: LifecycleStage[] = ['PRE_SCALE_UP', 'SCALE_UP', 'POST_SCALE_UP', 'CLEAN_UP'];

/** Virtual durations (ms) of the work inside stages; every one can be overridden per service when seeding. */
export interface NativeTiming {
  /** PENDING → IN_PROGRESS */
  startDelayMs: number;
  /** a stage with no work and no hooks (PRE_SCALE_UP without hooks, …) */
  stageMs: number;
  /** new tasks PENDING → RUNNING (SCALE_UP) */
  scaleUpMs: number;
  /** a task that fails (seed switch) stops this long after it was started */
  taskFailMs: number;
  /** one weight change of TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT */
  trafficShiftMs: number;
  /** a Lambda hook whose outcome is SUCCEEDED or FAILED answers after this long */
  hookMs: number;
  /** CLEAN_UP: the old revision's tasks drain and stop */
  cleanUpMs: number;
  /** ROLLBACK_REQUESTED / STOP_REQUESTED before the rollback or stop starts */
  requestMs: number;
  /** each step of a rollback (weights back, scale down) */
  rollbackStepMs: number;
  /** a deployment in flight ends STOPPED this long after a newer one of its service starts (kayac/ecspresso#929) */
  replacedAfterMs: number;
  /** a Lambda hook still IN_PROGRESS after this long fails the stage (24 h per stage, DG blue-green-deployment-how-it-works) */
  lambdaStageLimitMs: number;
}

export const DEFAULT_NATIVE_TIMING: NativeTiming = {
  startDelayMs: 1_000,
  stageMs: 500,
  scaleUpMs: 30_000,
  taskFailMs: 15_000,
  trafficShiftMs: 2_000,
  hookMs: 5_000,
  cleanUpMs: 10_000,
  requestMs: 1_000,
  rollbackStepMs: 2_000,
  replacedAfterMs: 10,
  lambdaStageLimitMs: 24 * 3_600_000,
};

/** Production weights of the green revision, step by step (SDK `LinearConfiguration`, `CanaryConfiguration`). */
export function productionSteps(
  strategy: NativeStrategy,
  linear?: { stepPercent?: number },
  canary?: { canaryPercent?: number },
): number[] {
  if (strategy === 'LINEAR') {
    const step = linear?.stepPercent ?? 10;
    const out: number[] = [];
    for (let i = 1; ; i++) {
      const w = Math.min(100, Math.round(step * i * 10) / 10);
      out.push(w);
      if (w >= 100) return out;
    }
  }
  if (strategy === 'CANARY') {
    const p = canary?.canaryPercent ?? 5;
    return p >= 100 ? [100] : [p, 100];
  }
  return [100];
}
