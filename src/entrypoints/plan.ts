/** Entry of the plan sub-action (plan/action.yml). */
import { createRunnerRuntime } from '../action/runtime.js';
import { awsAccess } from '../aws/clients.js';
import { runCommand } from '../action/run-command.js';
import { runPlan } from '../commands/plan.js';

await runCommand({ ...createRunnerRuntime(), ...awsAccess }, runPlan);
process.exit(process.exitCode ?? 0);
