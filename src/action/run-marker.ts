/**
 * The mark a deployment's description carries of the run that created it, so the post step can find a
 * deployment whose CreateDeployment answer never reached the main step (killed while it was in flight).
 *
 * The mark is `[github-run <GITHUB_RUN_ID>/<GITHUB_RUN_ATTEMPT> <nonce>]`, appended to the description
 * within MAX_DESCRIPTION_LENGTH: the user's part is cut, never the mark. The nonce is random per main
 * step and saved in the state: two steps (or two matrix jobs) of the same run attempt deploying to the
 * same group never take each other's deployment for their own. Without GITHUB_RUN_ID (a local run)
 * there is no mark.
 */
import { randomBytes } from 'node:crypto';
import { cutDescription, MAX_DESCRIPTION_LENGTH } from './inputs.js';

const MARKER = /\[github-run (\d+)\/(\d+) ([0-9a-f]{8})\]$/;

/** This run's mark, or undefined when the environment names no run (a local run). */
export function runMarker(
  env: NodeJS.ProcessEnv,
  nonce: string = randomBytes(4).toString('hex'),
): string | undefined {
  const runId = env.GITHUB_RUN_ID ?? '';
  const attempt = env.GITHUB_RUN_ATTEMPT || '1';
  if (!/^\d{1,20}$/.test(runId) || !/^\d{1,6}$/.test(attempt)) return undefined;
  return `[github-run ${runId}/${attempt} ${nonce}]`;
}

/** The description with the mark appended; the user's part is cut (with …) to leave room for it. */
export function describeWithMarker(description: string, marker: string | undefined): string {
  if (!marker) return description;
  const room = MAX_DESCRIPTION_LENGTH - marker.length - 1;
  const text = cutDescription(description, room);
  return text === '' ? marker : `${text} ${marker}`;
}

/** The workflow run a deployment's description names in its mark, if it carries one. */
export function markedRunId(description: string | undefined): string | undefined {
  return MARKER.exec(description ?? '')?.[1];
}

/** Whether a deployment's description ends with exactly this mark (run, attempt and nonce). */
export function carriesMarker(description: string | undefined, marker: string): boolean {
  const found = MARKER.exec(description ?? '');
  return found !== null && found[0] === marker;
}
