/**
 * The wait budget of an ECS service deployment: wait-for-minutes plus the waits ECS itself takes before the
 * goal (the step bakes of LINEAR/CANARY before production traffic is fully shifted; the bake time before
 * SUCCESSFUL), with the sentence that explains a timeout. Pause hooks wait for someone: not counted.
 */
import type { DeploymentConfiguration } from '@aws-sdk/client-ecs';
import type { WaitUntil } from '../../action/inputs.js';

/** Minutes ECS waits on its own timers before production traffic is fully shifted (LINEAR/CANARY step bakes). */
export function stepBakeMinutes(config: DeploymentConfiguration | undefined): number {
  if (config?.strategy === 'LINEAR') {
    const step = config.linearConfiguration?.stepPercent ?? 10;
    return (Math.ceil(100 / step) - 1) * (config.linearConfiguration?.stepBakeTimeInMinutes ?? 6);
  }
  if (config?.strategy === 'CANARY') return config.canaryConfiguration?.canaryBakeTimeInMinutes ?? 10;
  return 0;
}

export interface EcsWaitBudget {
  deadline: number;
  note: string;
}

export function ecsWaitBudget(
  params: { waitForMinutes: number; waitUntil: WaitUntil | 'gate'; config?: DeploymentConfiguration },
  now: number,
): EcsWaitBudget {
  const steps =
    params.waitUntil === 'traffic-shifted' || params.waitUntil === 'succeeded'
      ? stepBakeMinutes(params.config)
      : 0;
  const bake =
    params.waitUntil === 'succeeded' && params.config?.strategy !== 'ROLLING'
      ? (params.config?.bakeTimeInMinutes ?? 0)
      : 0;
  const minutes = params.waitForMinutes + steps + bake;
  const parts = [`wait-for-minutes ${params.waitForMinutes}`];
  if (steps) parts.push(`the step bakes (${steps} min)`);
  if (bake) parts.push(`the bake time (${bake} min)`);
  return {
    deadline: now + minutes * 60_000,
    note: `The action waited ${minutes} min: ${parts.join(' + ')}. Raise wait-for-minutes if the deployment needs longer.`,
  };
}
