/** Entry of the rollback sub-action (rollback/action.yml). */
import { createRunnerRuntime } from '../runtime.js';
import { runCommand } from '../main.js';
import { runRollback } from '../rollback.js';

await runCommand(createRunnerRuntime(), runRollback);
process.exit(process.exitCode ?? 0);
