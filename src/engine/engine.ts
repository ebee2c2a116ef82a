/**
 * The seam between the commands and a deployment engine: what deploy, promote, rollback, the post step
 * and cancel handling need from whatever runs the blue/green deployment. CodeDeploy implements it in
 * src/codedeploy/engine.ts; ECS's own service deployments will be a sibling folder implementing the
 * same interface. Watching (what changed, which goal is reached) stays engine-specific: each engine has
 * its own lifecycle and its own reporter.
 */

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
}

/** Which wait a continue ends: the hold before production traffic moves, or the wait after it. */
export type ContinueStep = 'reroute' | 'end-wait';

export interface DeploymentEngine {
  /** for log lines: "CodeDeploy", "ECS" */
  readonly name: string;
  read(id: string): Promise<EngineDeploymentState>;
  continue(id: string, step: ContinueStep): Promise<void>;
  stopWithRollback(id: string): Promise<StopResult>;
  /** waits up to `withinMs` for the engine to name the rollback of a stopped or failed deployment */
  findRollback(id: string, withinMs: number): Promise<EngineDeploymentState>;
  /** where a person looks at the deployment */
  consoleUrl(id: string): string;
}
