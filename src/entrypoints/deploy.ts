/** Entry of the main action: the same bundle runs as the main step and as the post step. */
import { createRunnerRuntime } from './runtime.js';
import { runCommand } from './main.js';
import { runDeploy } from './deploy.js';
import { runPost } from './post.js';
import { isPostStep } from './state-helper.js';

const rt = createRunnerRuntime();
await runCommand(rt, isPostStep(rt) ? runPost : runDeploy);
// Timers of the SDK's keep-alive agents must not hold the step open.
process.exit(process.exitCode ?? 0);
