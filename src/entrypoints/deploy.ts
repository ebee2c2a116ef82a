/** Entry of the main action: the same bundle runs as the main step and as the post step. */
import { createRunnerRuntime } from '../action/runtime.js';
import { awsAccess } from '../aws/clients.js';
import { runCommand } from '../action/run-command.js';
import { runDeploy } from '../commands/deploy.js';
import { runPost } from '../commands/post.js';
import { isPostStep } from '../action/state.js';

const rt = { ...createRunnerRuntime(), ...awsAccess };
await runCommand(rt, isPostStep(rt) ? runPost : runDeploy);
// Timers of the SDK's keep-alive agents must not hold the step open.
process.exit(process.exitCode ?? 0);
