/**
 * What the test command receives: the rights of a `run:` step in the same job, not the action's.
 *
 * - The job's environment (the workflow's `env:`, the runner's GITHUB_* and RUNNER_* variables, any
 *   AWS_* variables the job set), as a `run:` step gets it.
 * - Not the variables the runner gives actions only: ACTIONS_RUNTIME_TOKEN, ACTIONS_RUNTIME_URL,
 *   ACTIONS_CACHE_URL, ACTIONS_CACHE_SERVICE_V2, ACTIONS_RESULTS_URL (a `run:` shell does not get
 *   them), nor the action's inputs (INPUT_*) or saved state (STATE_*).
 * - Not ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN, unless test-command-oidc is true: with them it could mint the
 *   job's OIDC token and assume the deploy role (the job has `id-token: write` for the action). GitHub gives
 *   them to every step of such a job, so a `run:` step of the same job could; the test command gets less.
 *
 * What this cannot do: the command runs as the same user as the action, so it can read the action's own
 * environment from /proc/<pid>/environ (the runtime token, INPUT_*, the real GITHUB_OUTPUT and GITHUB_STATE)
 * and write to those files. Withholding variables only keeps honest mistakes out; a command that must not
 * reach AWS or the action's outputs runs in a job of its own without `id-token: write` (docs/security.md).
 * - Its own GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY: fresh empty
 *   files, deleted after it ends. Whatever it writes there never reaches the action's outputs, the post
 *   step's state, later steps or the job summary; the log names the files it wrote to.
 * - The credentials the action assumed through OIDC live in memory only (aws/credentials.ts) and are
 *   never in any environment.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Variables the runner gives an action's process but not a `run:` step's shell. */
export const ACTION_ONLY_VARIABLES = [
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_RUNTIME_URL',
  'ACTIONS_CACHE_URL',
  'ACTIONS_CACHE_SERVICE_V2',
  'ACTIONS_RESULTS_URL',
] as const;

/** The runner's file commands: each step gets its own files. */
export const FILE_COMMAND_VARIABLES = [
  'GITHUB_OUTPUT',
  'GITHUB_STATE',
  'GITHUB_ENV',
  'GITHUB_PATH',
  'GITHUB_STEP_SUMMARY',
] as const;

export interface TestCommandFiles {
  /** FILE_COMMAND_VARIABLES → a fresh empty file */
  paths: Record<string, string>;
  /** the variables whose file the command wrote to */
  written(): string[];
  /** deletes the files */
  discard(): void;
}

/** Fresh empty file-command files for the test command, under RUNNER_TEMP (or the system's temp). */
export function testCommandFiles(base: NodeJS.ProcessEnv): TestCommandFiles {
  const dir = mkdtempSync(path.join(base.RUNNER_TEMP || tmpdir(), 'test-command-'));
  const paths: Record<string, string> = {};
  for (const name of FILE_COMMAND_VARIABLES) {
    paths[name] = path.join(dir, name.toLowerCase());
    writeFileSync(paths[name], '', { mode: 0o600 });
  }
  return {
    paths,
    written: () =>
      FILE_COMMAND_VARIABLES.filter((name) => {
        try {
          return statSync(paths[name] as string).size > 0;
        } catch {
          return false;
        }
      }),
    discard: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** What a step needs to request the job's OIDC token (GitHub docs, "About security hardening with OpenID Connect"). */
export const OIDC_REQUEST_VARIABLES = [
  'ACTIONS_ID_TOKEN_REQUEST_URL',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
] as const;

/**
 * The test command's environment: `base` (the job's) without what only the action gets and, unless
 * `oidc`, without the OIDC request variables; plus `extra`.
 */
export function testCommandEnv(
  base: NodeJS.ProcessEnv,
  files: Record<string, string>,
  extra: Record<string, string>,
  options: { oidc?: boolean } = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  const dropped = new Set<string>([
    ...ACTION_ONLY_VARIABLES,
    ...(options.oidc ? [] : OIDC_REQUEST_VARIABLES),
  ]);
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined || dropped.has(name)) continue;
    if (name.startsWith('INPUT_') || name.startsWith('STATE_')) continue;
    env[name] = value;
  }
  return { ...env, ...files, ...extra };
}
