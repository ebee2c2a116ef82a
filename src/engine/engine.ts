/**
 * The seam between the commands (src/commands/: what the user asked for, and every rule the user sees)
 * and a deployment engine (src/engines/<name>/: how one kind of deployment is started, read, steered and
 * described). The commands hold the policy — verdicts and their words, outputs, the summary's frame,
 * wait-until, cancel, rollback-on-failure, the post step's rule — and reach an engine only through these
 * interfaces, picked by the registry (src/engines/index.ts). Each engine object closes over its own types,
 * so the commands never see a CodeDeploy DeploymentInfo or an ECS ServiceDeployment: what one look saw is
 * `unknown` here and handed back to the engine that made it.
 *
 * What each engine keeps on purpose: how it finds a deployment whose start call's answer never came
 * (`findLeftBehind`: CodeDeploy by this run's mark, ECS by the service, task definition and time); a
 * rollback that is a new deployment in CodeDeploy and a status of the same deployment in ECS
 * (`followUndoing`, `stopAndFollowBack`); ECS's "one promote, one pause" (the promote follower stops at
 * another pause).
 */
import type { Service } from '@aws-sdk/client-ecs';
import type { AwsClients, AwsRuntime } from '../aws/clients.js';
import type { DeployInputs, PromoteInputs, ReadInput, RollbackInputs, WaitUntil } from '../action/inputs.js';
import type { PendingStart, SavedDeployment } from '../action/state.js';
import type { TaskDefinitionSource } from '../prepare/task-source.js';
import type { DeploymentRecord, EngineName } from '../record/record.js';
import type { MetricTarget } from '../record/health.js';
import type { WatchCounts, WatchEnd } from './watch.js';

export interface EngineDeploymentState {
  id: string;
  /** the engine's own status name (CodeDeploy: Created … Succeeded/Failed/Stopped) */
  status: string;
  inFlight: boolean;
  /** the deployment that rolls this one back, once the engine names it */
  rollbackId?: string;
}

export interface StopResult {
  /** the stop took effect (now, or by an earlier call whose answer was lost) */
  stopped: boolean;
  status?: string;
  message: string;
  /** the call failed and reading the deployment back showed the stop had taken effect */
  readBack?: boolean;
}

/** A continue that took effect; `note` tells how it was confirmed when its answer went wrong. */
export interface ContinueResult {
  note?: string;
}

/** Which wait a continue ends: the hold before production traffic moves, or the wait after it. */
export type ContinueStep = 'reroute' | 'end-wait';

/** The steering calls on one deployment, with one set of clients. */
export interface Steering {
  read(id: string): Promise<EngineDeploymentState>;
  /** a refusal (the change did not happen) throws, saying what the engine shows instead */
  continue(id: string, step: ContinueStep): Promise<ContinueResult>;
  stopWithRollback(id: string): Promise<StopResult>;
  /**
   * Looks for the rollback of a stopped or failed deployment: while the deployment is still in flight up
   * to `withinMs`, and a short grace once it is final. A returned state still in flight means the bound ran out.
   */
  findRollback(id: string, withinMs: number): Promise<EngineDeploymentState>;
  /** where a person looks at the deployment */
  consoleUrl(id: string): string;
}

/**
 * Where a deployment stands, in one vocabulary for every engine: the `deployment-state` output.
 * Terminal: succeeded, stopped, failed, rolled-back.
 */
export const DEPLOYMENT_STATES = [
  'pending',
  'in-progress',
  'held',
  'succeeded',
  'stopped',
  'failed',
  'rolling-back',
  'rolled-back',
] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

/** What a command follows to: a wait-until value, or the point where the test gate runs. */
export type Goal = WaitUntil | 'gate';

/** Where the deployment stands when following starts, for the wait budget (CodeDeploy counts its own waits). */
export type BudgetFrom = 'start' | 'rerouting' | 'terminating' | 'rollback';

export interface WaitBudget {
  /** deployment-clock ms after which following gives up */
  deadline: number;
  /** why the budget was what it was, for the timeout's message */
  note: string;
}

/** The clients and runtime a command hands an engine. */
export interface EngineContext {
  rt: AwsRuntime;
  clients: AwsClients;
  region: string;
}

/** The service a deployment belongs to, and the workflow run that started it when its run mark says so. */
export interface DeploymentOwner {
  cluster: string;
  service: string;
  /** GITHUB_RUN_ID in the deployment's run mark (CodeDeploy description); undefined without a mark */
  runId?: string;
}

/** What the registry knows of an engine, and what every command asks of it. */
export interface Engine {
  readonly name: EngineName;
  /** "CodeDeploy", "ECS": whose reads, whose console */
  readonly label: string;
  /** "Deployment", "Service deployment": how its deployments are named in sentences */
  readonly noun: string;
  /** outputs that repeat the deployment id under this engine's own name (codedeploy-deployment-id) */
  readonly idOutputs: readonly string[];
  /** the service's deployment controller this engine deploys */
  readonly controller: string;
  /** the call that starts a deployment (CreateDeployment, UpdateService), for messages */
  readonly startCall: string;
  /** the deployment id looks like this engine's (d-… for CodeDeploy, a service deployment ARN for ECS) */
  claimsId(id: string): boolean;
  inFlight(status: string | undefined): boolean;
  /** the deployment is being undone already (a stop or a rollback under way) */
  undoing(status: string | undefined): boolean;
  /** deployment-state from the engine's status, and (CodeDeploy) the record's rollback */
  state(record: Pick<DeploymentRecord, 'status' | 'rollback' | 'verdict'>): DeploymentState;
  steering(ctx: EngineContext): Steering;
  /** deploy inputs that this engine does not use, and how the user hears about it (warnings); may refuse */
  inputWarnings(read: ReadInput): string[];
  /** every check before a change: the plan a deploy carries out (no change in AWS) */
  prepare(
    ctx: EngineContext,
    inputs: DeployInputs,
    service: Service,
    file?: TaskDefinitionSource,
  ): Promise<DeployPlan>;
  /** the plan action's engine-specific part (Markdown lines, warnings), read only */
  plan(
    ctx: EngineContext,
    inputs: DeployInputs,
    service: Service,
    options: { checkMigration: boolean },
  ): Promise<PlanPart>;
  /** the deployment promote acts on: by id, or the service's deployment in flight */
  locateForPromote(ctx: EngineContext, inputs: PromoteInputs): Promise<Located>;
  /** the deployment rollback acts on, or the service when nothing is in flight */
  locateForRollback(ctx: EngineContext, inputs: RollbackInputs): Promise<RollbackTarget>;
  /**
   * Whose deployment `id` is: its service (CodeDeploy: the group's ECS service; ECS: from the ARN) and the
   * workflow run its run mark names, when it carries one. Read only; a missing deployment is an input error.
   */
  ownerOf(ctx: EngineContext, id: string): Promise<DeploymentOwner>;
  /**
   * The post step: the deployments a main step killed before it learnt their id may have started, from what
   * the engine saved before its start call (saveCreatingState): CodeDeploy by this run's mark; ECS by the
   * service's deployments created since then that deploy the task definition. Undefined when the engine
   * keeps no such trace.
   */
  findLeftBehind?(ctx: EngineContext, saved: SavedDeployment): Promise<string[]>;
  /** For the post step's words: where it looks and what it looks for; `cannot` says why it cannot tell. */
  describeLeftBehind?(pending: PendingStart): LeftBehindSearch;
}

/** How the post step looks for a deployment whose start call's answer never came, in words. */
export interface LeftBehindSearch {
  /** "in AppECS-prod-web/DgpECS-prod-web", "of prod/web" */
  where: string;
  /** "carries this run's mark […]", "deploys …:43 (started since 12:00:00 UTC)" */
  by: string;
  /** why it cannot tell this run's deployment from another's (no mark for a local run) */
  cannot?: string;
}

/** What preflight found, and the steps that carry it out. */
export interface DeployPlan {
  taskDefinition: TaskDefinitionSource;
  /** what will happen, for the log (task definition, service, traffic, hooks, waits) */
  lines: string[];
  warnings: string[];
  /** the task definition the service runs now */
  running?: string;
  /** the warning when the given registered revision is the one the service runs (none: nothing to warn about) */
  sameRevision(arn: string): string | undefined;
  /** a warning when this step will wait for someone to promote (wait-until past the hold, no test-command) */
  waitsForSomeone?: string;
  /** the deployment in flight that on-active-deployment decides about */
  activeId?: string;
  /**
   * the listener test traffic reaches the new revision through, when the service has one (CodeDeploy: the
   * group's test traffic route; ECS: the listener of the service's test listener rule): the deploy action's
   * test-listener-url output once the deployment is held
   */
  testListenerArn?: string;
  /** on-active-deployment: fail names it; wait follows it to its end; stop stops it with rollback and waits */
  settleActive(activeId: string): Promise<void>;
  /**
   * Starts the deployment of `taskDefinitionArn` (state for the post step saved before and after), or throws
   * with nothing started. `registered`: this run registered it (withdrawn when the engine certainly refused).
   */
  start(taskDefinitionArn: string, registered: boolean): Promise<Started>;
}

export interface Started {
  follower: Follower;
  /** how it was found: "Created", "Found" (a retried create that had taken effect) */
  how: string;
  /** where the test gate runs, when the deployment pauses for it */
  gate?: GatePoint;
}

/** Follows one deployment: the engine's watcher, reporter and summary behind engine-neutral calls. */
export interface Follower {
  readonly engine: Engine;
  readonly record: DeploymentRecord;
  readonly stats: WatchCounts;
  readonly steering: Steering;
  /** how long to follow to `goal`: wait-for-minutes plus the waits the engine itself takes before it */
  budget(goal: Goal, waitForMinutes: number, from: BudgetFrom, testCommand?: string): WaitBudget;
  /**
   * watches to `goal`, telling each change in the log; throws WatchFailure when it cannot go on. `signal`
   * ends it early as aborted, like the run's cancel (the health monitor's breach)
   */
  watch(goal: Goal, deadline: number, signal?: AbortSignal): Promise<WatchEnd<unknown>>;
  /**
   * The target groups of the new revision and of the one it replaces, for the health checks (the judge
   * and the policy live outside the engines: src/engine/health-judge.ts, src/commands/health.ts), with the
   * new revision's share of traffic at the last look. Undefined while they are not known yet (CodeDeploy:
   * before Install created the replacement task set). Never throws.
   */
  revisionTargets(): Promise<RevisionTargets | undefined>;
  /** takes what a look saw into the record (the final state, the state before the action acted) */
  absorb(observation: unknown): void;
  /** the look shows the deployment succeeded (for an undo follower: the undoing succeeded) */
  succeeded(observation: unknown): boolean;
  /** where it stands, in a few words: "status InProgress, Install in progress, traffic …" */
  position(observation?: unknown): string;
  /** when it waits for a promote: "waits in …" and until when; else undefined */
  held(observation: unknown): string | undefined;
  /** "stuck in Install for 40 min (…)": for a timeout's message */
  stuck(observation?: unknown): string | undefined;
  /** the stuck-tasks diagnostics, at a failed or timed-out verdict */
  atVerdict(observation?: unknown): Promise<void>;
  /**
   * When another deployment replaced this one (ECS stops the deployment in flight when a newer one of its
   * service starts): the sentence that says which and when; undefined otherwise.
   */
  replaced(): Promise<string | undefined>;
  /** after a failure or stop: follow what undoes it to its end (or note why nothing does) */
  followUndoing(): Promise<void>;
  /** its status says it was stopped, not failed */
  endedStopped(): boolean;
  /** the failure as an error annotation (a warning: someone else's deployment), with the engine's details */
  reportFailure(level?: 'error' | 'warning'): void;
  /** nothing to stop: it has ended, or is being undone already (followed to its end when it is) */
  alreadyUndone(): Promise<boolean>;
  /** stops it with rollback; follows the undoing to its end unless `followIt` is false. Whether it took effect */
  stopAndFollowBack(why: string, followIt: boolean): Promise<boolean>;
  /** the job summary's engine parts */
  summary(): SummaryParts;
}

/** Which target group serves which revision, and how much traffic the new one has. */
export interface RevisionTargets {
  /** the new revision's target group (green) */
  green: MetricTarget;
  /** the target group of the revision it replaces (blue), when known */
  blue?: MetricTarget;
  /** the new revision's share of production traffic at the last look, percent */
  productionPercent?: number;
  /**
   * when the engine first saw that share (ms, its own look's time): the health checks place a shift by it,
   * not by when they asked (they ask every few seconds, later on a loaded runner)
   */
  productionPercentSince?: number;
  /** test traffic reaches the new revision (test listener) at the last look */
  testTraffic?: boolean;
  /** when the deployment began (ms), when the engine says: minutes before it are the baseline */
  since?: number;
}

/** What a job summary shows of one engine's deployment; the frame (src/record/summary.ts) is shared. */
export interface SummaryParts {
  /** "ECS blue/green deployment of", "Rollback of", "ECS canary deployment of" */
  title: string;
  /** table rows after the deployment row, already Markdown-safe */
  rows: Array<[string, string]>;
  /** table rows after the task definition and images */
  moreRows: Array<[string, string]>;
  /** the deployment row's cell: link and status */
  deploymentCell: string;
  deploymentLabel: string;
  /** sections between the test gate and the diagnosis (lifecycle events or stages, traffic) */
  sections: string[];
  /** the diagnosis section's words for this engine's group of new tasks */
  diagnosis: { title: string; group: string };
  /** why lines for a failed verdict, before the notes (Markdown-safe) */
  why: string[];
  /** after the why section (a hook's log tail) */
  after: string[];
}

/** Where the test gate runs: the deployment waits with test traffic on the new revision. */
export interface GatePoint {
  /** whether the deployment really waits there (and the names the command gets); else why not */
  check(observation: unknown): Promise<GateCheck>;
  /** the tests passed: let it go on to production traffic */
  pass(): Promise<GatePass>;
}

export type GateCheck =
  | {
      ok: true;
      /** the engine's names for the deployment (CODEDEPLOY_DEPLOYMENT_ID, ECS_SERVICE_DEPLOYMENT_ARN) */
      env: Record<string, string>;
      listenerArn?: string;
      /** the test listener's URL (TEST_LISTENER_URL), when it could be resolved */
      testUrl?: string;
      /** a warning to give before the tests run (the hold ends before test-timeout-minutes) */
      warning?: string;
    }
  | {
      ok: false;
      /** the sentence for the verdict */
      text: string;
      /** what the action gives up on, for rollback-on-failure */
      reason: string;
    };

/** What passing did: went on, or ended in a verdict with what the command must do next. */
export type GatePass =
  | { ok: true }
  | {
      ok: false;
      verdict: 'stopped' | 'failed';
      text: string;
      title: string;
      /** follow-undoing: the engine is undoing it already; roll-back: rollback-on-failure applies */
      then: 'follow-undoing' | 'roll-back';
      reason: string;
    };

/** What promote finds and what it may do. */
export interface Located {
  id: string;
  follower: Follower;
  step: PromoteStep;
  /** what the deployment looked like before the action acted (absorbed by the follower already) */
  before: unknown;
  /** the wait budget's starting point once continued */
  from: BudgetFrom;
}

export type PromoteStep =
  | {
      kind: 'continue';
      /** what the continue ends: "Ready", "Pause hook h-1" */
      what: string;
      /** "Rerouting production traffic to … (ContinueDeployment READY_WAIT)" */
      doing: string;
      /** the note for the summary: "Promoted: …" */
      note: string;
      /** the continue, judged by reading back when its answer goes wrong; a refusal throws */
      run(): Promise<void>;
    }
  | { kind: 'already-succeeded' }
  | { kind: 'already-ended' };

/** What rollback finds: a deployment in flight to stop, or what the service runs to go back from. */
export type RollbackTarget =
  | { kind: 'in-flight'; id: string; undo(): Promise<Undo> }
  | {
      kind: 'settled';
      /** given a deployment that has ended: its id, status, and whether the service still runs its revision */
      ended?: { id: string; status: string; stillRuns: boolean; deployed?: string };
      /** the service and what it runs now */
      cluster: string;
      service: string;
      current: string;
      previous(): Promise<{ arn: string; from: string } | undefined>;
      /** deploys `arn` as a new deployment, as deploy would (rollback-on-cancel and -on-failure apply) */
      redeploy(arn: string): Promise<Started>;
    };

/** The undoing of a deployment in flight, started: what to follow, and what it undoes. */
export interface Undo {
  /** follows the undoing (CodeDeploy: the rollback deployment; ECS: the same deployment, to its end) */
  follower?: Follower;
  /** the stop took effect; else `text` says why not */
  stopped: boolean;
  /** with no follower: what happened instead (no rollback was needed, or the stop did not take effect) */
  text?: string;
  /** the status of the deployment being rolled back, once stopped (deployment-status) */
  status: string;
  /** a note for the summary of the undoing */
  note?: string;
  /** the revision being rolled back, for deregister-rolled-back-revision */
  rolledBack?: string;
  /** extra outputs (rollback-deployment-id) */
  outputs: Record<string, string>;
}

/** The plan action's part that depends on the engine. */
export interface PlanPart {
  taskDefinition: TaskDefinitionSource;
  /** "How it will be deployed" and any migration check, Markdown */
  lines: string[];
  warnings: string[];
  /** deploy would refuse this, or the deployment would roll back */
  problems: string[];
  /** the deployment config or strategy, for the diff's header */
  config: string;
  strategy: string;
  cluster: string;
}
