/**
 * Runs a bundled entry point (dist/index.js, dist/promote/index.js, …) the way the GitHub runner does:
 * INPUT_* variables, fresh GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY files, STATE_* variables
 * for a post step, a workspace folder, and signals for cancellation. Used by the e2e suite, the demo
 * and the benchmark.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ActionRunOptions {
  /** path relative to the repo root, e.g. 'dist/index.js' */
  entry?: string;
  inputs?: Record<string, string | number | boolean | undefined>;
  /** environment on top of a minimal runner-like environment (emulator.env() goes here) */
  env?: Record<string, string | undefined>;
  /** files to create in the workspace, path → content */
  files?: Record<string, string>;
  /** reuse a workspace (e.g. for the post step after main) */
  workspace?: string;
  /** STATE_* values for a post step (what the main step saved) */
  state?: Record<string, string>;
  /** send SIGINT after this many ms, then SIGTERM 7.5 s later like the runner, unless it ended */
  cancelAfterMs?: number;
  /** send SIGINT when a log line matches, then SIGTERM 7.5 s later */
  cancelWhen?: RegExp;
  /** SIGKILL when a log line matches: a main step that dies without handling anything (runner lost, OOM) */
  killWhen?: RegExp;
  /** SIGKILL when this settles (e.g. once the emulator has received a given request) */
  killOn?: Promise<unknown>;
  /** echo the action's output as it comes */
  echo?: boolean | ((chunk: string) => void);
  timeoutMs?: number;
  /** the Node binary that runs the entry point (default: the one running this process) */
  node?: string;
}

export interface ActionRunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  summary: string;
  workspace: string;
  /** the Node binary that ran the entry point */
  node: string;
  /** ms from spawn to the first line mentioning an AWS call (for start-up measurement), if any */
  durationMs: number;
}

/** Parses the runner's file-command format (`name=value` or `name<<DELIM … DELIM`). */
export function parseFileCommands(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string];
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] as string);
      result[name] = value.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) result[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return result;
}

/**
 * An `echo` for runAction that shows the log the way the runner does: an `::add-mask::<value>` line is a
 * command the runner acts on (it hides the value from then on) and never prints, so it is dropped and
 * the value is replaced by *** in what follows. Lines are completed across chunks before they are judged.
 */
export function terminalEcho(
  write: (text: string) => void = (t) => process.stdout.write(t),
): (chunk: string) => void {
  const masks: string[] = [];
  let partial = '';
  return (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    const shown: string[] = [];
    for (const line of lines) {
      const mask = /^\s*::add-mask::(.*?)\r?$/.exec(line);
      if (mask) {
        if (mask[1]) masks.push(mask[1]);
        continue;
      }
      shown.push(masks.reduce((text, m) => text.split(m).join('***'), line));
    }
    if (shown.length > 0) write(shown.map((l) => `${l}\n`).join(''));
  };
}

export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

export async function runAction(options: ActionRunOptions = {}): Promise<ActionRunResult> {
  const workspace = options.workspace ?? mkdtempSync(path.join(tmpdir(), 'ecs-action-ws-'));
  for (const [file, content] of Object.entries(options.files ?? {})) {
    writeFileSync(path.join(workspace, file), content);
  }
  const runnerDir = mkdtempSync(path.join(tmpdir(), 'ecs-action-runner-'));
  const files = {
    GITHUB_OUTPUT: path.join(runnerDir, 'output'),
    GITHUB_STATE: path.join(runnerDir, 'state'),
    GITHUB_STEP_SUMMARY: path.join(runnerDir, 'summary.md'),
    GITHUB_ENV: path.join(runnerDir, 'env'),
    GITHUB_PATH: path.join(runnerDir, 'path'),
  };
  for (const file of Object.values(files)) writeFileSync(file, '');

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: runnerDir,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'octo-org/octo-repo',
    GITHUB_SHA: '4f9c2e1d0b8a7c6e5f4d3c2b1a0f9e8d7c6b5a49',
    GITHUB_RUN_ID: '1234567890',
    GITHUB_SERVER_URL: 'https://github.com',
    RUNNER_TEMP: runnerDir,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
    ...files,
  };
  for (const [key, value] of Object.entries(options.env ?? {})) if (value !== undefined) env[key] = value;
  for (const [name, value] of Object.entries(options.inputs ?? {})) {
    if (value !== undefined) env[inputEnvName(name)] = String(value);
  }
  for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value;

  const entry = path.join(REPO_ROOT, options.entry ?? 'dist/index.js');
  if (!existsSync(entry)) throw new Error(`${entry} does not exist: run npm run bundle`);
  const started = Date.now();
  const node = options.node ?? process.execPath;
  const child = spawn(node, [entry], { env, cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let cancelled = false;
  const cancel = (): void => {
    if (cancelled) return;
    cancelled = true;
    child.kill('SIGINT');
    setTimeout(() => child.exitCode === null && child.kill('SIGTERM'), 7500).unref();
  };
  const echo = options.echo === true ? (c: string) => process.stdout.write(c) : options.echo || undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stdout += text;
    if (echo) echo(text);
    if (options.cancelWhen?.test(stdout)) cancel();
    if (options.killWhen?.test(stdout)) child.kill('SIGKILL');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  void options.killOn?.then(() => child.exitCode === null && child.kill('SIGKILL'));
  const cancelTimer =
    options.cancelAfterMs !== undefined ? setTimeout(cancel, options.cancelAfterMs) : undefined;
  const killTimer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      child.on('close', (c, s) => resolve({ code: c, signal: s }));
      child.on('error', (e) => reject(new Error(`could not run ${entry} with ${node}: ${e.message}`)));
    },
  ).finally(() => {
    clearTimeout(killTimer);
    if (cancelTimer) clearTimeout(cancelTimer);
  });
  return {
    exitCode: code,
    signal,
    stdout,
    stderr,
    outputs: parseFileCommands(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    state: parseFileCommands(readFileSync(files.GITHUB_STATE, 'utf8')),
    summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
    workspace,
    node,
    durationMs: Date.now() - started,
  };
}
