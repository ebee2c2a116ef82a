/**
 * The outputs every command gives about the deployment it acted on, named once: deployment-id (and the
 * engine's own name for it, codedeploy-deployment-id). The status outputs (deployment-status,
 * deployment-state) are set when following finishes (follow.ts finishFollow).
 */
import type { Runtime } from '../action/runtime.js';
import type { Engine } from '../engine/engine.js';

export function outputDeploymentId(rt: Pick<Runtime, 'setOutput'>, engine: Engine, id: string): void {
  rt.setOutput('deployment-id', id);
  for (const name of engine.idOutputs) rt.setOutput(name, id);
}
