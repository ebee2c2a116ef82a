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
  /** the call failed and reading the deployment back showed the stop had taken effect */
  readBack?: boolean;
}

/** A continue that took effect; `note` tells how it was confirmed when its answer went wrong. */
export interface ContinueResult {
  note?: string;
}

/** Which wait a continue ends: the hold before production traffic moves, or the wait after it. */
export type ContinueStep = 'reroute' | 'end-wait';

export interface DeploymentEngine {
  /** for log lines: "CodeDeploy", "ECS" */
  readonly name: string;
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
