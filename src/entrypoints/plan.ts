/** Entry of the plan sub-action (plan/action.yml). */
import { createRunnerRuntime } from '../runtime.js';
import { runCommand } from '../main.js';
import { runPlan } from '../plan-command.js';

await runCommand(createRunnerRuntime(), runPlan);
process.exit(process.exitCode ?? 0);
