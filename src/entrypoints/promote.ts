/** Entry of the promote sub-action (promote/action.yml). */
import { createRunnerRuntime } from '../action/runtime.js';
import { awsAccess } from '../aws/clients.js';
import { runCommand } from '../action/run-command.js';
import { runPromote } from '../commands/promote.js';

await runCommand({ ...createRunnerRuntime(), ...awsAccess }, runPromote);
process.exit(process.exitCode ?? 0);
