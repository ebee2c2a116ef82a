/** Entry of the rollback sub-action (rollback/action.yml). */
import { createRunnerRuntime } from '../action/runtime.js';
import { awsAccess } from '../aws/clients.js';
import { runCommand } from '../action/run-command.js';
import { runRollback } from '../commands/rollback.js';

await runCommand({ ...createRunnerRuntime(), ...awsAccess }, runRollback);
process.exit(process.exitCode ?? 0);
