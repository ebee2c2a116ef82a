/**
 * The action's entry points, bundled once (dist/action/index.js) with all the code they share. The files the
 * action.yml files run are two lines each, written by scripts/bundle.mjs: dist/index.js calls `deploy` (the
 * main action, main and post step), dist/promote/index.js `promote`, dist/rollback/index.js `rollback`,
 * dist/plan/index.js `plan`.
 */
import { createRunnerRuntime } from '../action/runtime.js';
import { awsAccess, type AwsRuntime } from '../aws/clients.js';
import { runCommand } from '../action/run-command.js';
import { runDeploy } from '../commands/deploy.js';
import { runPost } from '../commands/post.js';
import { runPlan } from '../commands/plan.js';
import { runPromote } from '../commands/promote.js';
import { runRollback } from '../commands/rollback.js';
import { isPostStep } from '../action/state.js';

type Command = (rt: AwsRuntime) => Promise<void>;

async function run(choose: (rt: AwsRuntime) => Command): Promise<void> {
  const rt: AwsRuntime = { ...createRunnerRuntime(), ...awsAccess };
  await runCommand(rt, choose(rt));
  // Timers of the SDK's keep-alive agents must not hold the step open.
  process.exit(process.exitCode ?? 0);
}

/** The main action (action.yml): the same entry runs as the main step and as the post step. */
export function deploy(): Promise<void> {
  return run((rt) => (isPostStep(rt) ? runPost : runDeploy));
}

/** The promote sub-action (promote/action.yml). */
export function promote(): Promise<void> {
  return run(() => runPromote);
}

/** The rollback sub-action (rollback/action.yml). */
export function rollback(): Promise<void> {
  return run(() => runRollback);
}

/** The plan sub-action (plan/action.yml). */
export function plan(): Promise<void> {
  return run(() => runPlan);
}
