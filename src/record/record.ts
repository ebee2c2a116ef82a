/**
 * The record of one followed deployment: everything the job summary shows, filled as the deployment
 * goes. Its verdict, notes and rollback change only through the functions below.
 */
import type { ErrorInformation, LifecycleEvent } from '@aws-sdk/client-codedeploy';
import type { TaskSetWeight } from '../engines/codedeploy/progress.js';
import { LIFECYCLE_EVENTS, lifecycleIndex } from '../engines/codedeploy/progress.js';
import type { InstallDiagnosis } from '../engines/codedeploy/diagnostics.js';

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

export interface RollbackRecord {
  deploymentId: string;
  status?: string;
  message?: string;
}

/** Everything the job summary shows. Filled by the action as the deployment goes. */
export interface DeploymentRecord {
  deploymentId: string;
  region: string;
  application: string;
  deploymentGroup: string;
  deploymentConfig?: string;
  cluster: string;
  service: string;
  taskDefinitionArn: string;
  images: Array<{ container: string; image: string }>;
  waitUntil: string;
  startedAt: number;
  finishedAt?: number;
  status?: string;
  verdict?: Verdict;
  verdictText?: string;
  events: Map<string, EventRecord>;
  traffic: TrafficStep[];
  errorInformation?: ErrorInformation;
  failedEvent?: EventRecord;
  rollback?: RollbackRecord;
  testGate?: { command: string; exitCode?: number; durationMs?: number; outcome: string; testUrl?: string };
  notes: string[];
  /** why the replacement task set did not become healthy, when Install ran long (commands/stuck-install.ts) */
  installDiagnosis?: InstallDiagnosis;
  /** which engine runs it; undefined is CodeDeploy (the summary renders stages instead of lifecycle events for ECS) */
  engine?: 'codedeploy' | 'ecs';
  /** ECS: the strategy, the stages as seen, traffic weights at each step, and the rollback's stage */
  ecs?: EcsRecordPart;
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

export interface EcsRecordPart {
  strategy: string;
  stages: StageRecord[];
  traffic: Array<{ at: number; test?: number; production?: number }>;
  hooks: Array<{ hookId: string; stage?: string; targetType?: string; status: string; expiresAt?: Date }>;
  rollbackStage?: string;
  rollbackReason?: string;
  statusReason?: string;
}

export type Verdict =
  'succeeded' | 'reached' | 'failed' | 'stopped' | 'timeout' | 'cancelled' | 'not-followed';

export function newDeploymentRecord(
  init: Omit<DeploymentRecord, 'events' | 'traffic' | 'notes'>,
): DeploymentRecord {
  return { ...init, events: new Map(), traffic: [], notes: [] };
}

/** The lifecycle events in order, including those CodeDeploy never reached (for the summary table). */
export function orderedEvents(record: DeploymentRecord): EventRecord[] {
  const names = new Set<string>([...LIFECYCLE_EVENTS, ...record.events.keys()]);
  return [...names]
    .sort((a, b) => lifecycleIndex(a) - lifecycleIndex(b))
    .map((name) => record.events.get(name) ?? { name, status: 'Not reached' });
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
