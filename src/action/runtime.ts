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

/** Where the action's own lines go: the step log and its annotations. */
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
  /** raw output (the test command's), written as it comes */
  write(chunk: string): void;
  clock: Clock;
  env: NodeJS.ProcessEnv;
  /** aborts when the runner cancels the job (SIGINT, then SIGTERM) */
  signal: AbortSignal;
}

/** The runtime on a GitHub runner (or anything that sets the runner's environment variables). */
export function createRunnerRuntime(): Runtime {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!controller.signal.aborted) core.info(`Received ${signal}: the run is being cancelled.`);
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    readInput: readActionInput,
    setOutput: (name, value) => core.setOutput(name, value),
    setFailed: (message) => core.setFailed(message),
    failQuietly: (message) => {
      process.exitCode = core.ExitCode.Failure;
      core.info(message);
    },
    setSecret: (secret) => core.setSecret(secret),
    getIDToken: (audience) => core.getIDToken(audience),
    writeSummary: async (markdown) => {
      if (!process.env.GITHUB_STEP_SUMMARY) return;
      await core.summary.addRaw(markdown, true).write();
    },
    write: (chunk) => void process.stdout.write(chunk),
    info: (message) => core.info(message),
    warning: (message) => core.warning(message),
    error: (message, properties) => core.error(message, properties),
    notice: (message, properties) => core.notice(message, properties),
    startGroup: (name) => core.startGroup(name),
    endGroup: () => core.endGroup(),
    saveState: (name, value) => core.saveState(name, value),
    getState: (name) => core.getState(name),
    clock: clockFromEnv(),
    env: process.env,
    signal: controller.signal,
  };
}
