/** Entry of the promote sub-action (promote/action.yml). */
import { createRunnerRuntime } from '../runtime.js';
import { runCommand } from '../main.js';
import { runPromote } from '../promote.js';

await runCommand(createRunnerRuntime(), runPromote);
process.exit(process.exitCode ?? 0);
