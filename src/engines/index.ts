/**
 * The registry: which engine deploys a service, or owns a deployment id. A third engine is a folder beside
 * these two implementing src/engine/engine.ts, plus one line in ENGINES.
 */
import type { Service } from '@aws-sdk/client-ecs';
import { InputError } from '../action/errors.js';
import type { Engine } from '../engine/engine.js';
import type { EngineName } from '../record/record.js';
import { codeDeployEngine } from './codedeploy/index.js';
import { ecsEngine } from './ecs/index.js';

export const ENGINES: readonly Engine[] = [codeDeployEngine, ecsEngine];

/** The engine of a service's deployment controller (absent: ECS, AWS's default); any other is refused. */
export function engineForService(service: Service, where: string): Engine {
  const controller = service.deploymentController?.type ?? 'ECS';
  const engine = ENGINES.find((e) => e.controller === controller);
  if (engine) return engine;
  throw new InputError(
    `service '${where}'`,
    `uses the ${controller} deployment controller, which neither ${ENGINES.map((e) => e.label).join(' nor ')} deploys: its task sets are managed by another tool.`,
    `Deploy it with the tool that manages its task sets, or switch it to the ${ENGINES.map((e) => e.controller).join(' or ')} deployment controller.`,
  );
}

/** The engine whose deployment ids look like `id`, if any. */
export function engineForId(id: string): Engine | undefined {
  return ENGINES.find((e) => e.claimsId(id));
}

/** The engine a saved state names (the post step). */
export function engineNamed(name: EngineName): Engine {
  return ENGINES.find((e) => e.name === name) ?? codeDeployEngine;
}
