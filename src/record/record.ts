/**
 * The record of one followed deployment, for either engine: everything the log's last lines and the job
 * summary show, filled as the deployment goes. The fields every engine fills are at the top; what only one
 * engine knows sits in its own part (`codedeploy`, `ecs`), plain data with no behaviour. The verdict, the
 * notes and the rollback change only through the functions below. This layer imports no engine.
 */
import type { ErrorInformation, LifecycleEvent } from '@aws-sdk/client-codedeploy';
import type { HealthRecord } from './health.js';

/** Which engine runs the deployment (src/engines/): saved in the state for the post step too. */
export type EngineName = 'codedeploy' | 'ecs';

/** How following ended, as the user reads it: the summary's icon and the verdict sentence go with it. */
export type Verdict =
  'succeeded' | 'reached' | 'failed' | 'stopped' | 'timeout' | 'cancelled' | 'not-followed';

export interface RollbackRecord {
  deploymentId: string;
  status?: string;
  message?: string;
}

export interface TestGateRecord {
  command: string;
  exitCode?: number;
  durationMs?: number;
  outcome: string;
  testUrl?: string;
}

/**
 * The group of new tasks a stuck phase is about, and its counts: CodeDeploy's replacement task set, an ECS
 * service deployment's target revision (src/engine/stuck-tasks.ts).
 */
export interface TaskGroup {
  id: string;
  taskDefinition?: string;
  desired?: number;
  running?: number;
  pending?: number;
  /** when ECS created it (ms), to tell its tasks from older ones when a task carries no startedBy */
  createdAt?: number;
}

export type ReasonKind = 'stopped-task' | 'service-event';

export interface StuckReason {
  kind: ReasonKind;
  text: string;
  /** how many stopped tasks or service events gave it */
  count: number;
}

/** What the stuck-tasks diagnostics found so far: the group's counts and each distinct reason once. */
export interface TasksDiagnosis {
  group?: TaskGroup;
  reasons: StuckReason[];
  /** distinct reasons beyond MAX_REASONS, not kept */
  notShown: Set<string>;
}

/** Everything the job summary shows. Filled by the action as the deployment goes. */
export interface DeploymentRecord {
  engine: EngineName;
  deploymentId: string;
  region: string;
  cluster: string;
  service: string;
  taskDefinitionArn: string;
  images: Array<{ container: string; image: string }>;
  waitUntil: string;
  startedAt: number;
  finishedAt?: number;
  /** the engine's own status name, as last read */
  status?: string;
  verdict?: Verdict;
  verdictText?: string;
  /** the deployment that undoes this one (CodeDeploy: a new deployment; ECS: this one, rolling back) */
  rollback?: RollbackRecord;
  testGate?: TestGateRecord;
  notes: string[];
  /** why the new tasks did not become healthy, when their phase ran long (src/engine/stuck-tasks.ts) */
  tasksDiagnosis?: TasksDiagnosis;
  /** the step the deployment failed in, in the engine's words (a lifecycle event, a stage) */
  failedStep?: string;
  /** what the health checks saw and judged (health-checks input) */
  health?: HealthRecord;
  codedeploy?: CodeDeployRecordPart;
  ecs?: EcsRecordPart;
}

/** CodeDeploy: a task set's share of production traffic, and its counts. */
export interface TaskSetWeight {
  /** Blue (the original task set) or Green (the one running the deployment's new revision) */
  label: string;
  /** the task set's id (`ecs-svc/…`) */
  id?: string;
  weight: number;
  status?: string;
  desired?: number;
  running?: number;
  pending?: number;
  targetGroup?: string;
}

export interface EventRecord {
  name: string;
  status: string;
  startTime?: Date;
  endTime?: Date;
  diagnostics?: LifecycleEvent['diagnostics'];
}

export interface TrafficStep {
  at: number;
  weights: TaskSetWeight[];
}

/** What only a CodeDeploy deployment has: its application and group, lifecycle events, task set weights. */
export interface CodeDeployRecordPart {
  application: string;
  deploymentGroup: string;
  deploymentConfig?: string;
  events: Map<string, EventRecord>;
  traffic: TrafficStep[];
  errorInformation?: ErrorInformation;
  failedEvent?: EventRecord;
  /**
   * A rollback deployment: CodeDeploy labels the task set it restores "Green" and the one it retires
   * "Blue", so its weights are told as original and replacement instead, and its end as traffic back.
   */
  isRollback?: boolean;
}

/** One ECS lifecycle stage as the action saw it (times are deployment-clock ms of the looks). */
export interface StageRecord {
  name: string;
  /** InProgress, Done, Passed (began and ended between two looks) */
  status: 'InProgress' | 'Done' | 'Passed';
  rollback: boolean;
  seenAt?: number;
  endedAt?: number;
}

/** What only an ECS service deployment has: the strategy, the stages as seen, weights, hooks, the rollback. */
export interface EcsRecordPart {
  strategy: string;
  stages: StageRecord[];
  traffic: Array<{ at: number; test?: number; production?: number }>;
  hooks: Array<{ hookId: string; stage?: string; targetType?: string; status: string; expiresAt?: Date }>;
  rollbackStage?: string;
  rollbackReason?: string;
  statusReason?: string;
  /** the service deployment that replaced this one, when ECS stopped it for a newer one */
  replacedBy?: string;
}

export type RecordInit = Omit<DeploymentRecord, 'notes'>;

export function newDeploymentRecord(init: RecordInit): DeploymentRecord {
  return { ...init, notes: [] };
}

/** A CodeDeploy part with nothing seen yet. */
export function newCodeDeployPart(
  init: Pick<CodeDeployRecordPart, 'application' | 'deploymentGroup' | 'deploymentConfig' | 'isRollback'>,
): CodeDeployRecordPart {
  return { ...init, events: new Map(), traffic: [] };
}

/** An ECS part with nothing seen yet. */
export function newEcsPart(strategy: string): EcsRecordPart {
  return { strategy, stages: [], traffic: [], hooks: [] };
}

/** The verdict and the sentence that says it (the summary's title line). */
export function setVerdict(record: DeploymentRecord, verdict: Verdict, text: string): void {
  record.verdict = verdict;
  record.verdictText = text;
}

/** A line for the summary's notes (what the action did on the user's behalf, and why). */
export function addNote(record: DeploymentRecord, text: string): void {
  record.notes.push(text);
}

/** The rollback deployment that undoes this one, and how it ended once known. */
export function setRollback(record: DeploymentRecord, deploymentId: string, status?: string): void {
  record.rollback = { deploymentId, ...(status !== undefined ? { status } : {}) };
}
