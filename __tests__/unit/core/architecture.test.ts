/**
 * The layers of src/ (docs/architecture.md):
 * 1. a module imports only from its own layer and the layers before it
 *    (action < aws < prepare < record < engine < engines < commands < entrypoints);
 * 2. an engine folder (src/engines/<name>/) never imports another engine's folder;
 * 3. commands reach engines only through the registry (src/engines/index.ts);
 * 4. the seam (src/engine/) and the record (src/record/) import no engine;
 * 5. every engine folder has an index.ts whose Engine the registry lists;
 * 6. no command imports another command, and no file in commands/ is named after an engine.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ENGINES } from '../../../src/engines/index.js';

const SRC = path.resolve('src');
const LAYERS = ['action', 'aws', 'prepare', 'record', 'engine', 'engines', 'commands', 'entrypoints'];
/** the modules the entry points run; the other files in commands/ are their shared parts */
const VERBS = ['deploy.ts', 'promote.ts', 'rollback.ts', 'plan.ts', 'post.ts'];

interface Import {
  from: string;
  to: string;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return filesUnder(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

function relativeImports(): Import[] {
  const imports: Import[] = [];
  for (const file of filesUnder(SRC)) {
    const from = path.relative(SRC, file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
      const target = path.relative(SRC, path.resolve(path.dirname(file), match[1] as string));
      imports.push({ from, to: target.replace(/\.js$/, '.ts') });
    }
  }
  return imports;
}

const layer = (file: string): string => file.split('/')[0] as string;
/** `codedeploy` for engines/codedeploy/…; undefined for the registry and everything outside engines/ */
const engineOf = (file: string): string | undefined =>
  file.startsWith('engines/') && file.split('/').length > 2 ? file.split('/')[1] : undefined;

describe('src/ layers', () => {
  const imports = relativeImports();

  it('has every module in a layer folder', () => {
    expect(readdirSync(SRC).filter((name) => name.endsWith('.ts'))).toEqual([]);
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    expect(folders.filter((f) => !LAYERS.includes(f))).toEqual([]);
    expect(imports.length).toBeGreaterThan(100);
  });

  it('imports only from its own layer and the layers before it', () => {
    const upward = imports.filter(({ from, to }) => LAYERS.indexOf(layer(to)) > LAYERS.indexOf(layer(from)));
    expect(upward).toEqual([]);
  });

  it('keeps each engine folder free of the other engines', () => {
    const crossing = imports.filter(
      ({ from, to }) =>
        engineOf(from) !== undefined && engineOf(to) !== undefined && engineOf(from) !== engineOf(to),
    );
    expect(crossing).toEqual([]);
    // the registry is the only file of engines/ that knows every engine, and no engine imports it
    expect(
      imports.filter(({ from, to }) => engineOf(from) !== undefined && to === 'engines/index.ts'),
    ).toEqual([]);
  });

  it('lets commands reach engines only through the registry', () => {
    const direct = imports.filter(
      ({ from, to }) => layer(from) === 'commands' && layer(to) === 'engines' && to !== 'engines/index.ts',
    );
    expect(direct).toEqual([]);
    expect(imports.some(({ from, to }) => layer(from) === 'commands' && to === 'engines/index.ts')).toBe(
      true,
    );
  });

  it('keeps the seam and the record free of any engine', () => {
    expect(
      imports.filter(({ from, to }) => ['engine', 'record'].includes(layer(from)) && layer(to) === 'engines'),
    ).toEqual([]);
  });

  it('registers every engine folder, each with an index.ts, under its own name', () => {
    const folders = readdirSync(path.join(SRC, 'engines'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    for (const folder of folders)
      expect(statSync(path.join(SRC, 'engines', folder, 'index.ts')).isFile()).toBe(true);
    expect(ENGINES.map((e) => e.name).sort()).toEqual(folders);
  });

  it('has no command importing another command, and no command named after an engine', () => {
    const crossing = imports.filter(
      ({ from, to }) =>
        layer(from) === 'commands' &&
        layer(to) === 'commands' &&
        VERBS.includes(path.basename(to)) &&
        path.basename(to) !== path.basename(from),
    );
    expect(crossing).toEqual([]);
    const names = ENGINES.flatMap((e) => [e.name, e.label.toLowerCase()]);
    const named = readdirSync(path.join(SRC, 'commands')).filter((file) =>
      names.some((name) => file.replace(/\.ts$/, '').split('-').includes(name)),
    );
    expect(named).toEqual([]);
  });
});
