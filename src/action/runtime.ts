/**
 * The action's connection to the runner: inputs, outputs, log, state, OIDC, summary, clock and the
 * cancel signal. Commands take a Runtime (with AWS access added: aws/clients.ts's AwsRuntime) so tests
 * can run them without a runner.
 *
 * Cancel starts here: the runner sends SIGINT (then SIGTERM) and `signal` aborts. Everything that waits
 * takes that signal; what each step does then is told in docs/architecture.md ("What happens on cancel").
 */
import * as core from '@actions/core';
import type { Clock } from './clock.js';
import { clockFromEnv } from './clock.js';
import type { ReadInput } from './inputs.js';
import { readActionInput } from './inputs.js';
import type { StateStore } from './state.js';
import { safeOutput } from './safe-output.js';

/**
 * Where the action's own lines go: the step log and its annotations. Messages may carry text the action
 * did not write (AWS messages, hook log tails, service events): the runner's runtime prints them so the
 * runner acts on none of it as a workflow command (action/safe-output.ts).
 */
export interface Log {
  info(message: string): void;
  warning(message: string): void;
  error(message: string, properties?: { title?: string }): void;
  notice(message: string, properties?: { title?: string }): void;
  startGroup(name: string): void;
  endGroup(): void;
}

export interface Runtime extends Log, StateStore {
  readInput: ReadInput;
  setOutput(name: string, value: string): void;
  setFailed(message: string): void;
  /** fail the step without another error annotation (one with the details was already written) */
  failQuietly(message: string): void;
  setSecret(secret: string): void;
  getIDToken(audience: string): Promise<string>;
  writeSummary(markdown: string): Promise<void>;
  /** raw output (the test command's), written line by line as it comes, never read as a command */
  write(chunk: string): void;
  clock: Clock;
  env: NodeJS.ProcessEnv;
  /** aborts when the runner cancels the job (SIGINT, then SIGTERM) */
  signal: AbortSignal;
}

/** The runtime on a GitHub runner (or anything that sets the runner's environment variables). */
export function createRunnerRuntime(): Runtime {
  const out = safeOutput((text) => void process.stdout.write(text));
  // Anything printed through @actions/core first prints the test command's partial line, if any.
  const flushed =
    <A extends unknown[], R>(print: (...args: A) => R) =>
    (...args: A): R => {
      out.flush();
      return print(...args);
    };
  process.on('exit', () => out.flush());
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) out.line(`Received ${signal}: the run is being cancelled.`);
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    readInput: readActionInput,
    setOutput: flushed((name: string, value: string) => core.setOutput(name, value)),
    setFailed: flushed((message: string) => core.setFailed(message)),
    failQuietly: (message) => {
      process.exitCode = core.ExitCode.Failure;
      out.line(message);
    },
    setSecret: flushed((secret: string) => core.setSecret(secret)),
    getIDToken: (audience) => core.getIDToken(audience),
    writeSummary: async (markdown) => {
      if (!process.env.GITHUB_STEP_SUMMARY) return;
      await core.summary.addRaw(markdown, true).write();
    },
    write: (chunk) => out.chunk(chunk),
    // core.info prints the message raw; warning, error, notice and group escape CR, LF and % in the
    // message (and also : and , in properties), so the runner reads them as one command's data.
    info: (message) => out.line(message),
    warning: flushed((message: string) => core.warning(message)),
    error: flushed((message: string, properties?: { title?: string }) => core.error(message, properties)),
    notice: flushed((message: string, properties?: { title?: string }) => core.notice(message, properties)),
    startGroup: flushed((name: string) => core.startGroup(name)),
    endGroup: flushed(() => core.endGroup()),
    saveState: flushed((name: string, value: string) => core.saveState(name, value)),
    getState: (name) => core.getState(name),
    clock: clockFromEnv(),
    env: process.env,
    signal: controller.signal,
  };
}
