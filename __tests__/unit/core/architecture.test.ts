/**
 * The layers of src/ (docs/architecture.md): a module imports only from its own folder and the folders
 * before it, no command imports another command, and the engine seam stays free of any one engine.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const SRC = path.resolve('src');
const LAYERS = [
  'action',
  'aws',
  'prepare',
  'engine',
  'codedeploy',
  'ecs',
  'report',
  'commands',
  'entrypoints',
];
/** the modules an entry point runs; follow, cancel and test-gate are the commands' shared parts */
const COMMANDS = ['deploy.ts', 'promote.ts', 'rollback.ts', 'plan.ts', 'post.ts'];

interface Import {
  from: string;
  to: string;
}

function relativeImports(): Import[] {
  const imports: Import[] = [];
  for (const folder of readdirSync(SRC, { withFileTypes: true })) {
    if (!folder.isDirectory()) continue;
    for (const file of readdirSync(path.join(SRC, folder.name))) {
      if (!file.endsWith('.ts')) continue;
      const from = `${folder.name}/${file}`;
      const text = readFileSync(path.join(SRC, from), 'utf8');
      for (const match of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
        const target = path.relative(SRC, path.resolve(SRC, folder.name, match[1] as string));
        imports.push({ from, to: target.replace(/\.js$/, '.ts') });
      }
    }
  }
  return imports;
}

describe('src/ layers', () => {
  const imports = relativeImports();

  it('has every module in a layer folder', () => {
    const loose = readdirSync(SRC).filter((name) => name.endsWith('.ts'));
    expect(loose).toEqual([]);
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    expect(folders.filter((f) => !LAYERS.includes(f))).toEqual([]);
    expect(imports.length).toBeGreaterThan(50);
  });

  it('imports only from its own folder and the folders before it', () => {
    const upward = imports.filter(
      ({ from, to }) =>
        LAYERS.indexOf(to.split('/')[0] as string) > LAYERS.indexOf(from.split('/')[0] as string),
    );
    expect(upward).toEqual([]);
  });

  it('has no command importing another command', () => {
    const crossing = imports.filter(
      ({ from, to }) =>
        from.startsWith('commands/') &&
        to.startsWith('commands/') &&
        COMMANDS.includes(path.basename(to)) &&
        path.basename(to) !== path.basename(from),
    );
    expect(crossing).toEqual([]);
  });

  it('keeps the engine seam free of any one engine', () => {
    expect(imports.filter(({ from }) => from.startsWith('engine/'))).toEqual([]);
  });
});
