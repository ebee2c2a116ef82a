/**
 * A local AWS for the action: ECS, CodeDeploy (ECS blue/green), STS with a GitHub OIDC issuer, and ELBv2,
 * spoken over the real wire protocols so unmodified AWS SDK v3 clients work against it via AWS_ENDPOINT_URL.
 * Deployments run on the same virtual clock the action uses (src/action/clock.ts), so a five-minute canary can pass
 * in seconds.
 */
import type { Server } from 'node:http';
import { createClock, type Clock } from '../src/action/clock.js';
import { codedeployHandlers, deploymentWire } from './codedeploy.js';
import { ecsHandlers, serviceWire, taskDefinitionWire } from './ecs.js';
import {
  advanceNative,
  ecsNativeControl,
  ecsNativeHandlers,
  nativeSnapshot,
  type EcsNativeControl,
  type NativeServiceOptions,
  type SeededNativeService,
} from './ecs-native/index.js';
import { elbv2Handlers } from './elbv2.js';
import { cloudwatchHandlers, MetricsModel, type BadRelease, type TrafficModel } from './cloudwatch.js';
import { oneOffControl, oneOffTaskHandlers, type OneOffControl } from './one-off-tasks.js';
import { NO_FAULTS, type Faults } from './faults.js';
import { OidcIssuer, type OidcClaims } from './oidc.js';
import { createEmulatorServer, listen, type CallRecord } from './server.js';
import {
  seedBlueGreenService,
  seedLambda,
  seedRole,
  seedTemplateRoles,
  type BlueGreenServiceOptions,
  type SeededService,
} from './seed.js';
import { IamAuthorizer, type IamDecision } from './iam.js';
import type { IdentityPolicy, RoleKey, TemplateRole } from './iam-template.js';
import { createState, type EmulatorState, type LambdaBehavior } from './state.js';
import { stsHandlers } from './sts.js';
import { taskHandlers } from './tasks.js';
import { Unkindness, type RateLimitStats } from './unkind.js';
import { advanceAll, type TimelineContext } from './timeline.js';

export type { Faults } from './faults.js';
export type { BlueGreenServiceOptions, SeededService } from './seed.js';
export type { EcsNativeControl, NativeServiceOptions, SeededNativeService } from './ecs-native/index.js';
export type { EmulatorState, LambdaBehavior } from './state.js';
export type { OneOffControl, OneOffScript, OneOffTask } from './one-off-tasks.js';
export type { CallRecord } from './server.js';
export type { LoseAnswer, RateLimit, StuckInstall } from './faults.js';
export type { RateLimitStats } from './unkind.js';
export type { BadRelease, TrafficModel } from './cloudwatch.js';
export type { OidcClaims } from './oidc.js';
export type { IamDecision } from './iam.js';
export type { IdentityPolicy, RoleKey, TemplateRole } from './iam-template.js';
export { GITHUB_ISSUER } from './oidc.js';

export interface EmulatorOptions {
  /** 0 (the default) picks a free port */
  port?: number;
  region?: string;
  accountId?: string;
  /** virtual milliseconds per real millisecond */
  clockScale?: number;
  /** reject ECS/CodeDeploy/ELBv2 calls signed with keys the emulator did not hand out */
  requireKnownCredentials?: boolean;
  /** append every IAM decision (emulator/iam.ts) to this file as a JSON line */
  iamLogFile?: string;
}

export interface Emulator {
  url: string;
  region: string;
  accountId: string;
  clock: Clock;
  env(extra?: Record<string, string>): Record<string, string>;
  state: EmulatorState;
  calls: CallRecord[];
  seed: {
    blueGreenService(o?: BlueGreenServiceOptions): SeededService;
    /** a role; with `policies` IAM enforces them for its sessions, without every call is allowed */
    role(o: { name: string; trustPolicy: object; policies?: IdentityPolicy[] }): { arn: string };
    /**
     * The roles infra/github-oidc-roles.yml creates with these stack parameters (in this account and region),
     * with their trust and identity policies: IAM is enforced for their sessions. Seeding again with other
     * parameters replaces them.
     */
    templateRoles(parameters: Record<string, string>): Partial<Record<RoleKey, TemplateRole>>;
    lambda(name: string, behavior?: LambdaBehavior): void;
    /** an ECS-controller service with a ROLLING, BLUE_GREEN, LINEAR or CANARY strategy (emulator/ecs-native/) */
    ecsNativeService(o?: NativeServiceOptions): SeededNativeService;
  };
  /** switches and records of ECS-native deployments */
  ecsNative: EcsNativeControl;
  /** the load balancer traffic behind CloudWatch's GetMetricData (cloudwatch.ts) */
  metrics: {
    /** request rates, a good revision's error rate and latency, the publication delay */
    set(t: Partial<TrafficModel>): void;
    /** task definitions registered from now on answer worse */
    badRelease(b: BadRelease): void;
    /** GetMetricData requests answered */
    reads(): number;
  };
  /** one-off tasks (RunTask): how they end, and what was asked */
  oneOffTasks: OneOffControl;
  faults: { set(f: Partial<Faults>): void; clear(): void };
  /** what the account-wide rate limit (faults.rateLimit) let through and throttled, by client and deployment */
  rateLimit: { stats(): RateLimitStats; resetStats(): void };
  oidc: {
    setClaims(c: Partial<OidcClaims>): void;
    issueToken(claims?: Partial<OidcClaims>): string;
    /** a job's own ACTIONS_ID_TOKEN_REQUEST_TOKEN, whose ID tokens carry these claims */
    jobRequestToken(claims: Partial<OidcClaims>): string;
  };
  /** what IAM decided for the calls of sessions of roles with policies, in order */
  iam: { decisions(): IamDecision[]; clear(): void };
  /** bring every deployment up to the current virtual time (requests do this on their own) */
  tick(): void;
  snapshot(): string;
  stop(): Promise<void>;
}

export const STATIC_ACCESS_KEY_ID = 'AKIAEMULATOR00000001';
export const STATIC_SECRET_ACCESS_KEY = 'emulator/secret/key/not/a/real/one/0000';

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, stable((value as Record<string, unknown>)[k])]),
    );
  return value;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const region = opts.region ?? 'us-east-1';
  const accountId = opts.accountId ?? '111111111111';
  const epoch = Date.now();
  const clock = createClock(opts.clockScale ?? 1, epoch);
  const state = createState(region, accountId);
  let faults: Faults = { ...NO_FAULTS };
  const calls: CallRecord[] = [];
  const oidc = new OidcIssuer(() => clock.now());
  const timeline: TimelineContext = { state, faults: () => faults };
  const advance = (now: number) => {
    advanceAll(timeline, now);
    advanceNative(state, now);
  };
  const unkind = new Unkindness(() => faults);
  const iam = new IamAuthorizer(state, opts.iamLogFile);
  const metrics = new MetricsModel(state);
  const baseEcs = { ...ecsHandlers(state), ...taskHandlers(state) };
  const ecsNative = ecsNativeControl(state, () => clock.now());
  const withNative = { ...baseEcs, ...ecsNativeHandlers(state, baseEcs) };
  const serviceAndOneOffHandlers = { ...withNative, ...oneOffTaskHandlers(state, withNative) };
  const server: Server = createEmulatorServer({
    state,
    now: () => clock.now(),
    advance,
    faults: () => faults,
    oidc,
    calls,
    ecs: serviceAndOneOffHandlers,
    codedeploy: codedeployHandlers(state, timeline),
    sts: stsHandlers(state, oidc, STATIC_ACCESS_KEY_ID),
    elbv2: elbv2Handlers(state),
    cloudwatch: cloudwatchHandlers(state, metrics),
    afterRequest: (now) => metrics.sample(now),
    staticAccessKeyId: STATIC_ACCESS_KEY_ID,
    requireKnownCredentials: opts.requireKnownCredentials ?? false,
    unkind,
    iam,
  });
  const port = await listen(server, opts.port ?? 0);
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    region,
    accountId,
    clock,
    state,
    calls,
    env: (extra = {}) => ({
      AWS_ENDPOINT_URL: url,
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: STATIC_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: STATIC_SECRET_ACCESS_KEY,
      ACTIONS_ID_TOKEN_REQUEST_URL: `${url}/_oidc/token?api-version=2.0`,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
      ECS_DEPLOY_CLOCK_SCALE: String(clock.scale),
      ECS_DEPLOY_CLOCK_EPOCH: String(epoch),
      AWS_EC2_METADATA_DISABLED: 'true',
      ...extra,
    }),
    seed: {
      blueGreenService: (o) => {
        const seeded = seedBlueGreenService(state, clock.now(), o);
        metrics.sample(clock.now());
        return seeded;
      },
      role: (o) => {
        if (o.policies) void iam.warmUp();
        return seedRole(state, o);
      },
      templateRoles: (parameters) => {
        void iam.warmUp();
        return seedTemplateRoles(state, parameters);
      },
      lambda: (name, behavior) => seedLambda(state, name, behavior),
      ecsNativeService: (o) => {
        const seeded = ecsNative.service(o);
        metrics.sample(clock.now());
        return seeded;
      },
    },
    ecsNative,
    metrics: {
      set: (t) => metrics.set(t),
      badRelease: (b) => metrics.badRelease(b, clock.now()),
      reads: () => metrics.reads,
    },
    oneOffTasks: oneOffControl(state),
    faults: {
      set: (f) => {
        faults = { ...faults, ...f };
        // the emulator counts lost answers down: keep its own copy, not the caller's object
        if (f.loseAnswer) faults.loseAnswer = structuredClone(f.loseAnswer);
      },
      clear: () => {
        faults = { ...NO_FAULTS };
      },
    },
    rateLimit: { stats: () => unkind.stats(), resetStats: () => unkind.resetStats() },
    oidc: {
      setClaims: (c) => oidc.setClaims(c),
      issueToken: (c) => oidc.issueToken(c),
      jobRequestToken: (c) => oidc.jobRequestToken(c),
    },
    iam: { decisions: () => iam.decisions(), clear: () => iam.clear() },
    tick: () => {
      advance(clock.now());
      metrics.sample(clock.now());
    },
    snapshot: () => {
      advance(clock.now());
      const families = Object.fromEntries(
        [...state.taskDefinitions.entries()].map(([f, revs]) => [f, revs.map(taskDefinitionWire)]),
      );
      const services = [...state.services.values()].map((s) => serviceWire(state, s));
      const deployments = [...state.deployments.values()].map((d) => ({
        ...deploymentWire(state, d),
        target: d.target,
      }));
      const ecsNative = nativeSnapshot(state);
      return JSON.stringify(stable({ families, services, deployments, ecsNative }), null, 2);
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        server.closeAllConnections();
      }),
  };
}
