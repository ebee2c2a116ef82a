import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, workflowFiles } from '../../../scripts/validate-workflows.js';

const major = `v${(JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version.split('.')[0]}`;
const docs = readdirSync(path.join(REPO_ROOT, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => `docs/${f}`);
const files = [...workflowFiles(), ...docs, 'README.md'];

describe('internal references use the major of package.json', () => {
  it(`every reference to this action or its workflows is @${major}`, () => {
    const refs: { file: string; ref: string }[] = [];
    for (const file of files) {
      const text = readFileSync(path.join(REPO_ROOT, file), 'utf8');
      for (const m of text.matchAll(/[\w.-]+\/ecs-codedeploy-action(?:\/[\w./-]+)?@([\w.-]+)/g))
        refs.push({ file, ref: m[0] });
    }
    expect(refs.length).toBeGreaterThan(10);
    expect(refs.filter((r) => !r.ref.endsWith(`@${major}`))).toEqual([]);
  });

  it('docs/releasing.md describes immutable vX.Y.Z tags and the moving major tag', () => {
    const text = readFileSync(path.join(REPO_ROOT, 'docs/releasing.md'), 'utf8');
    expect(text).toMatch(/vX\.Y\.Z/);
    expect(text).toContain(`\`${major}\``);
  });
});
