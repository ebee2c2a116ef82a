/**
 * ECS-native service deployments (deploymentController ECS; strategy ROLLING, BLUE_GREEN, LINEAR or CANARY) on
 * the emulator's virtual clock: UpdateService creates a service revision and a service deployment, which then
 * walks its lifecycle stages lazily, like the CodeDeploy timeline (every transition is stamped with the time
 * it was due). Also: ListServiceDeployments, DescribeServiceDeployments, DescribeServiceRevisions,
 * StopServiceDeployment, ContinueServiceDeployment, ListTasks / DescribeTasks for the service's tasks, the
 * controller switch CODE_DEPLOY → ECS, and seeding. Sources and unconfirmed points: emulator/README.md,
 * "ECS-native deployments"; reference: the project's notes ecs-native-deployments.md (kept outside this repository).
 *
 * The state lives beside the shared EmulatorState (a WeakMap keyed by it), so the shared files stay untouched.
 *
 * One file per concern:
 * - stages.ts    the emulator's own copy of the strategies, statuses, lifecycle stages and timings
 * - model.ts     the native state (services, revisions, deployments, tasks, listener rules) and small helpers
 * - config.ts    parsing and merging `deploymentConfiguration` and `loadBalancers` as UpdateService takes them
 * - tasks.ts     the service's tasks: launching, stopping, counting
 * - traffic.ts   listener rules and weights; why a load-balancer setup cannot shift traffic
 * - machine.ts   the state machine of a service deployment on the virtual clock; creating deployments
 * - wire.ts      what the API answers (deployments, revisions, DescribeServices fields, tasks)
 * - adopt.ts     giving an ECS-controller service native state; the CODE_DEPLOY → ECS controller switch
 * - handlers.ts  the HTTP handlers
 * - seed.ts      seeding an ECS-native service with its load balancer, listener rules and roles
 * - control.ts   the switches tests and the demo drive, and the snapshot
 */
export type {
  AdvancedConfiguration,
  FailTasks,
  HookExecution,
  HookOutcome,
  HookStatus,
  ListenerRule,
  NativeConfig,
  NativeDeployment,
  NativeHook,
  NativeLoadBalancer,
  NativeReadings,
  NativeRevision,
  NativeService,
  NativeState,
  NativeTask,
  ServiceEvent,
} from './model.js';
export { nativeState } from './model.js';
export { defaultConfig, mergeConfig } from './config.js';
export { advanceDeployment, advanceNative, startRollback, type NativeContext } from './machine.js';
export { deploymentWire } from './wire.js';
export { ecsNativeHandlers } from './handlers.js';
export {
  listenerRule,
  seedEcsNativeService,
  type Misconfiguration,
  type NativeServiceOptions,
  type SeededNativeService,
} from './seed.js';
export { ecsNativeControl, nativeSnapshot, type EcsNativeControl } from './control.js';
export {
  DEFAULT_NATIVE_TIMING,
  LAMBDA_HOOK_STAGES,
  NATIVE_STRATEGIES,
  PAUSE_HOOK_STAGES,
  ROLLING_STAGES,
  SERVICE_DEPLOYMENT_STATUSES,
  STAGE_ORDER,
  TERMINAL_STATUSES,
  productionSteps,
  type LifecycleStage,
  type NativeStrategy,
  type NativeTiming,
  type ServiceDeploymentStatus,
} from './stages.js';
