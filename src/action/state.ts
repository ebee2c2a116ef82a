/**
 * Everything the main step hands to the post step (runs.post) through GITHUB_STATE, under typed keys.
 * The post step uses it to roll back a deployment the main step left in flight when the run was cancelled.
 */
export const STATE_KEYS = {
  isPost: 'isPost',
  deploymentId: 'deploymentId',
  /** creating → following → done | cancelled | failed; a main step killed mid-way never writes 'done' */
  phase: 'phase',
  /**
   * saved before the engine's start call (CreateDeployment, UpdateService) is sent: the names of the state
   * keys that hold where to look for a deployment whose answer never came (the engine's own fields)
   */
  pendingFields: 'pendingFields',
  /** CodeDeploy's fields (also read when pendingFields is absent) */
  application: 'application',
  deploymentGroup: 'deploymentGroup',
  /** the mark of this run in the deployment's description (run-marker.ts); empty for a local run */
  runMarker: 'runMarker',
  /** when the start call was sent (epoch ms on the action's clock) */
  createStartedAt: 'createStartedAt',
  rollbackOnCancel: 'rollbackOnCancel',
  rollbackOnFailure: 'rollbackOnFailure',
  /** codedeploy | ecs: which engine runs the deployment (absent: codedeploy, as before) */
  engine: 'engine',
} as const;

export type EngineKind = 'codedeploy' | 'ecs';

/**
 * Where the main step left the deployment, for the post step:
 * - creating: the engine's start call (CreateDeployment, UpdateService) was sent and its answer never came
 *   (the main step was killed): the post step asks the engine for the deployment this run started, from the
 *   fields saved before the call (CodeDeploy: the group and this run's mark; ECS: the service, the task
 *   definition and the time), and applies rollback-on-cancel;
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

/**
 * What the engine needs to find a deployment being started, saved before its start call is sent. `fields`
 * are the engine's own (CodeDeploy: application, deploymentGroup, runMarker; ECS: cluster, service,
 * taskDefinitionArn), each saved under its own state key; an empty value is kept (a local run has no mark).
 */
export interface PendingStart {
  fields: Record<string, string>;
  startedAt: number;
}

/** The fields a state without pendingFields holds (CodeDeploy's, as saved before pendingFields existed). */
const CODEDEPLOY_FIELDS = [STATE_KEYS.application, STATE_KEYS.deploymentGroup, STATE_KEYS.runMarker];

/** State keys the fields must not take: they would overwrite the state's own. */
const RESERVED = new Set<string>(
  Object.values(STATE_KEYS).filter((k) => !CODEDEPLOY_FIELDS.includes(k as never)),
);

/** Phase 'creating': called just before the engine's start call (CreateDeployment, UpdateService) is sent. */
export function saveCreatingState(
  store: StateStore,
  engine: EngineKind,
  pending: PendingStart,
  rules: RollbackRules,
): void {
  const names = Object.keys(pending.fields);
  const reserved = names.filter((name) => RESERVED.has(name) || !/^[A-Za-z]\w*$/.test(name));
  if (reserved.length > 0) throw new Error(`state field names not allowed: ${reserved.join(', ')}`);
  for (const name of names) store.saveState(name, pending.fields[name] ?? '');
  store.saveState(STATE_KEYS.pendingFields, names.join(','));
  store.saveState(STATE_KEYS.createStartedAt, String(pending.startedAt));
  store.saveState(STATE_KEYS.engine, engine);
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
  /** what was saved before the engine's start call was sent, when it was */
  pending?: PendingStart;
  phase: string;
  engine: EngineKind;
}

export function readDeploymentState(store: StateStore): SavedDeployment | undefined {
  const deploymentId = store.getState(STATE_KEYS.deploymentId) || undefined;
  const listed = store.getState(STATE_KEYS.pendingFields);
  const names = listed ? listed.split(',') : CODEDEPLOY_FIELDS;
  const fields: Record<string, string> = {};
  for (const name of names) fields[name] = store.getState(name);
  const saved = listed
    ? Object.values(fields).some((value) => value !== '')
    : fields[STATE_KEYS.application] !== '' && fields[STATE_KEYS.deploymentGroup] !== '';
  const pending = saved
    ? { fields, startedAt: Number(store.getState(STATE_KEYS.createStartedAt)) || 0 }
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
