/**
 * Everything the main step hands to the post step (runs.post) through GITHUB_STATE, under typed keys.
 * The post step uses it to roll back a deployment the main step left in flight when the run was cancelled.
 */
export const STATE_KEYS = {
  isPost: 'isPost',
  deploymentId: 'deploymentId',
  /** following → done | cancelled | failed; a main step killed mid-way never writes 'done' */
  phase: 'phase',
  rollbackOnCancel: 'rollbackOnCancel',
  rollbackOnFailure: 'rollbackOnFailure',
  /** codedeploy | ecs: which engine runs the deployment (absent: codedeploy, as before) */
  engine: 'engine',
} as const;

export type EngineKind = 'codedeploy' | 'ecs';

/**
 * Where the main step left the deployment, for the post step:
 * - following: the main step was killed while following it (a cancel): rollback-on-cancel applies;
 * - cancelled: the run was cancelled and the main step could not stop it: rollback-on-cancel applies;
 * - failed: an error the action did not expect ended the main step: rollback-on-failure applies;
 * - done: nothing is left to do.
 */
export type Phase = 'following' | 'done' | 'cancelled' | 'failed';

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
  deploymentId: string;
  phase: string;
  engine: EngineKind;
}

export function readDeploymentState(store: StateStore): SavedDeployment | undefined {
  const deploymentId = store.getState(STATE_KEYS.deploymentId);
  if (!deploymentId) return undefined;
  return {
    deploymentId,
    phase: store.getState(STATE_KEYS.phase),
    engine: store.getState(STATE_KEYS.engine) === 'ecs' ? 'ecs' : 'codedeploy',
    rollbackOnCancel: store.getState(STATE_KEYS.rollbackOnCancel) !== 'false',
    rollbackOnFailure: store.getState(STATE_KEYS.rollbackOnFailure) !== 'false',
  };
}
