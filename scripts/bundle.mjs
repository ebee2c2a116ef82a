#!/usr/bin/env node
// Builds every JavaScript entry point the action and its sub-actions run, with @vercel/ncc.
// `dist/` is committed; CI fails when it differs from what this script produces.
import { execFileSync } from 'node:child_process';
import { rmSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** entry source → output folder (each folder gets its own index.js) */
export const ENTRIES = [
  ['src/entrypoints/deploy.ts', 'dist'],
  ['src/entrypoints/promote.ts', 'dist/promote'],
  ['src/entrypoints/rollback.ts', 'dist/rollback'],
  ['src/entrypoints/plan.ts', 'dist/plan'],
];

rmSync(path.join(root, 'dist'), { recursive: true, force: true });
const ncc = path.join(root, 'node_modules', '.bin', 'ncc');
for (const [entry, out] of ENTRIES) {
  if (!existsSync(path.join(root, entry))) continue;
  execFileSync(ncc, ['build', entry, '-o', out, '--minify', '--license', 'licenses.txt', '--quiet'], {
    cwd: root,
    stdio: 'inherit',
  });
}
