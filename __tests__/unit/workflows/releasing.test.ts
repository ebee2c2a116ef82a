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

  it('LICENSE is the license package.json names, and CHANGELOG.md keeps an Unreleased section above the versions', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      license: string;
      version: string;
      private?: boolean;
    };
    expect(pkg.license).toBe('MIT');
    expect(readFileSync(path.join(REPO_ROOT, 'LICENSE'), 'utf8')).toMatch(
      /^MIT License\n\nCopyright \(c\) \d{4} /,
    );
    const changelog = readFileSync(path.join(REPO_ROOT, 'CHANGELOG.md'), 'utf8');
    const versions = [...changelog.matchAll(/^## \[([^\]]+)\]/gm)].map((m) => m[1]);
    expect(versions[0]).toBe('Unreleased');
    expect(versions).toContain(pkg.version);
    // the action ships as a git tag, never as an npm package (docs/releasing.md, "npm")
    expect(pkg.private).toBe(true);
    expect(readFileSync(path.join(REPO_ROOT, 'docs/releasing.md'), 'utf8')).toContain(
      'npm run release:check -- vX.Y.Z',
    );
  });
});
