/**
 * Everything the main step hands to the post step (runs.post) through GITHUB_STATE, under typed keys.
 * The post step uses it to roll back a deployment the main step left in flight when the run was cancelled.
 */
export const STATE_KEYS = {
  isPost: 'isPost',
  deploymentId: 'deploymentId',
  /** following → done | cancelled; a main step killed mid-way never writes 'done' */
  phase: 'phase',
  rollbackOnCancel: 'rollbackOnCancel',
} as const;

export type Phase = 'following' | 'done' | 'cancelled';

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

export function saveDeploymentState(
  store: StateStore,
  deploymentId: string,
  rollbackOnCancel: boolean,
): void {
  store.saveState(STATE_KEYS.deploymentId, deploymentId);
  store.saveState(STATE_KEYS.rollbackOnCancel, String(rollbackOnCancel));
  store.saveState(STATE_KEYS.phase, 'following');
}

export function savePhase(store: StateStore, phase: Phase): void {
  store.saveState(STATE_KEYS.phase, phase);
}

export interface SavedDeployment {
  deploymentId: string;
  phase: string;
  rollbackOnCancel: boolean;
}

export function readDeploymentState(store: StateStore): SavedDeployment | undefined {
  const deploymentId = store.getState(STATE_KEYS.deploymentId);
  if (!deploymentId) return undefined;
  return {
    deploymentId,
    phase: store.getState(STATE_KEYS.phase),
    rollbackOnCancel: store.getState(STATE_KEYS.rollbackOnCancel) !== 'false',
  };
}
