/**
 * Cold start of the bundles: from spawning `node <entry>` to its first line on stdout (the main step's first
 * line is its saved state, written before it reads any input), in real milliseconds. Run on its own to
 * compare two builds:
 *
 *   npx tsx bench/cold-start.ts [--runs 40] [dist-dir …]   (default: dist)
 *
 * Runs alternate between the builds and entries, so a busy machine slows them alike.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const ENTRIES = ['index.js', 'promote/index.js', 'rollback/index.js', 'plan/index.js'];

/** ms from spawn to the first stdout line of `node entry` (no inputs: it fails fast after that line). */
export function firstLineMs(entry: string): Promise<number> {
  const runner = mkdtempSync(path.join(tmpdir(), 'cold-start-'));
  const files = Object.fromEntries(
    ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY', 'GITHUB_ENV', 'GITHUB_PATH'].map((name) => {
      const file = path.join(runner, name);
      writeFileSync(file, '');
      return [name, file];
    }),
  );
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [entry], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: runner,
        GITHUB_ACTIONS: 'true',
        RUNNER_TEMP: runner,
        ...files,
      },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let seen = false;
    child.stdout.on('data', () => {
      if (seen) return;
      seen = true;
      resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
    child.on('error', reject);
    child.on('exit', () => {
      if (!seen) reject(new Error(`${entry} wrote nothing`));
    });
  });
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { runs: { type: 'string', default: '40' } },
    allowPositionals: true,
  });
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dirs = positionals.length > 0 ? positionals : [path.join(root, 'dist')];
  const samples = new Map<string, number[]>();
  for (let i = 0; i < Number(values.runs); i++)
    for (const dir of dirs)
      for (const entry of ENTRIES) {
        const key = `${dir} ${entry}`;
        samples.set(key, [...(samples.get(key) ?? []), await firstLineMs(path.join(dir, entry))]);
      }
  for (const [key, xs] of samples)
    console.log(
      `${key}: median ${percentile(xs, 0.5).toFixed(0)} ms, p90 ${percentile(xs, 0.9).toFixed(0)} ms (${xs.length} runs)`,
    );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
