/**
 * Everything the main step hands to the post step (runs.post) through GITHUB_STATE, under typed keys.
 * The post step uses it to roll back a deployment the main step left in flight when the run was cancelled.
 */
export const STATE_KEYS = {
  isPost: 'isPost',
  deploymentId: 'deploymentId',
  /** creating → following → done | cancelled | failed; a main step killed mid-way never writes 'done' */
  phase: 'phase',
  /** saved before CreateDeployment is sent: where to look for a deployment whose answer never came */
  application: 'application',
  deploymentGroup: 'deploymentGroup',
  /** the mark of this run in the deployment's description (run-marker.ts); empty for a local run */
  runMarker: 'runMarker',
  /** when CreateDeployment was sent (epoch ms on the action's clock) */
  createStartedAt: 'createStartedAt',
  rollbackOnCancel: 'rollbackOnCancel',
  rollbackOnFailure: 'rollbackOnFailure',
  /** codedeploy | ecs: which engine runs the deployment (absent: codedeploy, as before) */
  engine: 'engine',
} as const;

export type EngineKind = 'codedeploy' | 'ecs';

/**
 * Where the main step left the deployment, for the post step:
 * - creating: CreateDeployment was sent and its answer never came (the main step was killed): the post
 *   step looks for the group's active deployment carrying this run's mark and applies rollback-on-cancel;
 * - following: the main step was killed while following it (a cancel): rollback-on-cancel applies;
 * - cancelled: the run was cancelled and the main step could not stop it: rollback-on-cancel applies;
 * - failed: an error the action did not expect ended the main step: rollback-on-failure applies;
 * - done: nothing is left to do.
 */
export type Phase = 'creating' | 'following' | 'done' | 'cancelled' | 'failed';

export interface StateStore {
  saveState(name: string, value: string): void;
  getState(name: string): string;
}

export function isPostStep(store: StateStore): boolean {
  return store.getState(STATE_KEYS.isPost) === 'true';
}

/** Marks that the next run of this bundle in the job is the post step. Called first thing in main. */
export function markMainStarted(store: StateStore): void {
  store.saveState(STATE_KEYS.isPost, 'true');
}

export interface RollbackRules {
  rollbackOnCancel: boolean;
  rollbackOnFailure: boolean;
}

/** Where a deployment being created will be, saved before CreateDeployment is sent. */
export interface PendingCreate {
  application: string;
  deploymentGroup: string;
  /** undefined for a local run: the deployment then carries no mark and cannot be found */
  marker: string | undefined;
  startedAt: number;
}

/** Phase 'creating': called just before CreateDeployment is sent. */
export function saveCreatingState(store: StateStore, pending: PendingCreate, rules: RollbackRules): void {
  store.saveState(STATE_KEYS.application, pending.application);
  store.saveState(STATE_KEYS.deploymentGroup, pending.deploymentGroup);
  store.saveState(STATE_KEYS.runMarker, pending.marker ?? '');
  store.saveState(STATE_KEYS.createStartedAt, String(pending.startedAt));
  store.saveState(STATE_KEYS.rollbackOnCancel, String(rules.rollbackOnCancel));
  store.saveState(STATE_KEYS.rollbackOnFailure, String(rules.rollbackOnFailure));
  store.saveState(STATE_KEYS.phase, 'creating');
}

export function saveDeploymentState(
  store: StateStore,
  deploymentId: string,
  rules: RollbackRules,
  engine: EngineKind = 'codedeploy',
): void {
  store.saveState(STATE_KEYS.deploymentId, deploymentId);
  store.saveState(STATE_KEYS.engine, engine);
  store.saveState(STATE_KEYS.rollbackOnCancel, String(rules.rollbackOnCancel));
  store.saveState(STATE_KEYS.rollbackOnFailure, String(rules.rollbackOnFailure));
  store.saveState(STATE_KEYS.phase, 'following');
}

export function savePhase(store: StateStore, phase: Phase): void {
  store.saveState(STATE_KEYS.phase, phase);
}

export interface SavedDeployment extends RollbackRules {
  /** undefined when the main step never learnt it (phase 'creating', or 'failed' during the create) */
  deploymentId?: string;
  /** what was saved before CreateDeployment was sent, when it was */
  pending?: PendingCreate;
  phase: string;
  engine: EngineKind;
}

export function readDeploymentState(store: StateStore): SavedDeployment | undefined {
  const deploymentId = store.getState(STATE_KEYS.deploymentId) || undefined;
  const application = store.getState(STATE_KEYS.application);
  const deploymentGroup = store.getState(STATE_KEYS.deploymentGroup);
  const pending =
    application && deploymentGroup
      ? {
          application,
          deploymentGroup,
          marker: store.getState(STATE_KEYS.runMarker) || undefined,
          startedAt: Number(store.getState(STATE_KEYS.createStartedAt)) || 0,
        }
      : undefined;
  if (!deploymentId && !pending) return undefined;
  return {
    ...(deploymentId ? { deploymentId } : {}),
    ...(pending ? { pending } : {}),
    phase: store.getState(STATE_KEYS.phase),
    engine: store.getState(STATE_KEYS.engine) === 'ecs' ? 'ecs' : 'codedeploy',
    rollbackOnCancel: store.getState(STATE_KEYS.rollbackOnCancel) !== 'false',
    rollbackOnFailure: store.getState(STATE_KEYS.rollbackOnFailure) !== 'false',
  };
}
