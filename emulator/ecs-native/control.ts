import type { EmulatorState } from '../state.js';
import type { LifecycleStage, NativeTiming } from './stages.js';
import { configWire } from './config.js';
import { advanceNative } from './machine.js';
import {
  type HookOutcome,
  type FailTasks,
  type NativeDeployment,
  type ListenerRule,
  type NativeReadings,
  type NativeState,
  nativeState,
} from './model.js';
import {
  type NativeServiceOptions,
  type SeededNativeService,
  listenerRule,
  seedEcsNativeService,
} from './seed.js';
import { deploymentWire, revisionWire } from './wire.js';

// ───────────────────────────── control ─────────────────────────────

/** What tests and the demo use to drive the switches and read the emulator-only records. */
export interface EcsNativeControl {
  service(o?: NativeServiceOptions): SeededNativeService;
  /** an ALB listener rule forwarding to these target groups (first weight 100, others 0); returns its ARN */
  listenerRule(listenerArn: string, targetGroupArns: string[]): string;
  setHookOutcome(
    cluster: string,
    service: string,
    stage: LifecycleStage,
    outcome: HookOutcome | undefined,
  ): void;
  failTasks(cluster: string, service: string, spec: FailTasks | undefined): void;
  setAlarm(cluster: string, service: string, alarmName: string, inAlarm: boolean): void;
  setTiming(cluster: string, service: string, timing: Partial<NativeTiming>): void;
  setStaleCurrentDeployment(cluster: string, service: string, ms: number): void;
  /** which of AWS's contradicting pages the emulator follows for this service (NativeReadings) */
  setReadings(cluster: string, service: string, readings: Partial<NativeReadings>): void;
  deployment(arn: string): NativeDeployment | undefined;
  rule(arn: string): ListenerRule | undefined;
  state(): NativeState;
}

export function ecsNativeControl(state: EmulatorState, now: () => number): EcsNativeControl {
  const ns = nativeState(state);
  const svc = (cluster: string, service: string) => {
    const n = ns.services.get(`${cluster}/${service}`);
    if (!n) throw new Error(`emulator: no ECS-native service ${cluster}/${service}`);
    return n;
  };
  return {
    service: (o) => seedEcsNativeService(state, now(), o),
    listenerRule: (l, tgs) => listenerRule(state, l, tgs),
    setHookOutcome: (c, s, stage, outcome) => {
      const n = svc(c, s);
      if (outcome === undefined) delete n.hookOutcomes[stage];
      else n.hookOutcomes[stage] = outcome;
    },
    failTasks: (c, s, spec) => {
      advanceNative(state, now());
      const n = svc(c, s);
      if (spec) n.failTasks = spec;
      else delete n.failTasks;
    },
    setAlarm: (c, s, alarm, inAlarm) => {
      advanceNative(state, now());
      const n = svc(c, s);
      n.alarmsInAlarm = n.alarmsInAlarm.filter((a) => a !== alarm);
      if (inAlarm) n.alarmsInAlarm.push(alarm);
    },
    setTiming: (c, s, timing) => {
      const n = svc(c, s);
      n.timing = { ...n.timing, ...timing };
    },
    setStaleCurrentDeployment: (c, s, ms) => {
      svc(c, s).staleCurrentDeploymentMs = ms;
    },
    setReadings: (c, s, readings) => {
      advanceNative(state, now());
      const n = svc(c, s);
      n.readings = { ...n.readings, ...readings };
    },
    deployment: (arn) => {
      advanceNative(state, now());
      return ns.deployments.get(arn);
    },
    rule: (arn) => ns.rules.get(arn),
    state: () => ns,
  };
}

/** A JSON-able view of the native state for `emu.snapshot()`. */
export function nativeSnapshot(state: EmulatorState): unknown {
  const ns = nativeState(state);
  return {
    deployments: [...ns.deployments.values()].map((d) => deploymentWire(state, d)),
    revisions: [...ns.revisions.values()].map((r) => revisionWire(state, r)),
    services: [...ns.services.values()].map((n) => ({
      key: n.key,
      config: configWire(n.config),
      loadBalancers: n.loadBalancers,
    })),
  };
}
