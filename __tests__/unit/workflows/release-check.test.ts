/**
 * scripts/release-check.ts against a throwaway git repository: what it refuses before a tag, and the
 * commands it prints when the commit is ready. The bundle is a stand-in that builds dist/ from src/ the
 * way npm run bundle does (deterministically), so a stale dist/ can be made on purpose.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkRelease, metadataProblems } from '../../../scripts/release-check.js';

const ACTION = `name: Example deploy
description: Deploys an example.
branding:
  icon: refresh-cw
  color: orange
runs:
  using: node24
  main: dist/index.js
`;

let root = '';
afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = '';
});

const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd: root,
    encoding: 'utf8',
  }).trim();

/** dist/index.js is src/index.ts upper-cased: a build that depends on the sources only. */
const bundle = () => {
  mkdirSync(path.join(root, 'dist'), { recursive: true });
  writeFileSync(
    path.join(root, 'dist/index.js'),
    readFileSync(path.join(root, 'src/index.ts'), 'utf8').toUpperCase(),
  );
};

function repository(o: { version?: string; changelog?: string; action?: string } = {}): void {
  root = mkdtempSync(path.join(tmpdir(), 'release-check-'));
  git('init', '-q', '-b', 'main');
  writeFileSync(
    path.join(root, 'package.json'),
    JSON.stringify({ name: 'x', version: o.version ?? '1.2.0', private: true }),
  );
  writeFileSync(
    path.join(root, 'CHANGELOG.md'),
    o.changelog ?? '# Changelog\n\n## [Unreleased]\n\n## [1.2.0] - 2026-12-06\n\n- Added things.\n',
  );
  writeFileSync(path.join(root, 'action.yml'), o.action ?? ACTION);
  mkdirSync(path.join(root, 'src'));
  writeFileSync(path.join(root, 'src/index.ts'), 'export const x = 1;\n');
  bundle();
  git('add', '-A');
  git('commit', '-qm', 'release 1.2.0');
}

describe('npm run release:check -- vX.Y.Z', () => {
  it('a ready commit: no problems, and the commands that tag it and move the major', () => {
    repository();
    const r = checkRelease({ root, tag: 'v1.2.0', bundle });
    expect(r.problems).toEqual([]);
    expect(r.commands).toEqual([
      'git tag -a v1.2.0 -m "v1.2.0"',
      'git push origin v1.2.0',
      'git tag -f -a v1 -m "v1 → v1.2.0" v1.2.0^{commit}',
      'git push -f origin v1',
    ]);
    // at the tag, after the major moved: still ready (dist/ verified at the tag itself)
    git('tag', '-a', 'v1.2.0', '-m', 'v1.2.0');
    git('tag', '-f', '-a', 'v1', '-m', 'v1', 'v1.2.0^{commit}');
    git('checkout', '-q', 'v1.2.0');
    const again = checkRelease({ root, tag: 'v1.2.0', bundle });
    expect(again.problems).toEqual([]);
    expect(again.commands[0]).toMatch(/^git tag -f -a v1 /);
  });

  it('dist/ that the sources no longer build is refused, and dist/ is left as it was', () => {
    repository();
    writeFileSync(path.join(root, 'src/index.ts'), 'export const x = 2;\n');
    git('commit', '-qam', 'change the source, forget the bundle');
    const r = checkRelease({ root, tag: 'v1.2.0', bundle });
    expect(r.problems).toEqual([
      expect.stringMatching(
        /^dist\/ is not what npm run bundle builds from these sources \(1 file\(s\) differ\)/,
      ),
    ]);
    expect(r.commands).toEqual([]);
    expect(git('status', '--porcelain')).toBe('');
  });

  it('a version, changelog or metadata that do not fit, and a dirty tree, are each named', () => {
    repository({
      version: '1.1.0',
      changelog: '# Changelog\n\n## [Unreleased]\n\n- 1.2.0 things, not yet moved.\n',
      action: ACTION.replace('Deploys an example.', 'x'.repeat(125)).replace('orange', 'teal'),
    });
    writeFileSync(path.join(root, 'notes.txt'), 'uncommitted');
    const r = checkRelease({ root, tag: 'v1.2.0', bundle });
    expect(r.problems).toEqual([
      "package.json's version is 1.1.0, not 1.2.0: bump it in a commit first.",
      expect.stringMatching(/^The working tree has changes/),
      expect.stringMatching(/^CHANGELOG\.md has no "## \[1\.2\.0\] - YYYY-MM-DD" section/),
      expect.stringMatching(
        /^action\.yml's description has 125 characters; the Marketplace takes fewer than 125/,
      ),
      expect.stringMatching(/^action\.yml's branding\.color must be one of white, black, yellow/),
    ]);
  });

  it('a tag is never moved, and the major moves forward only', () => {
    repository();
    git('tag', '-a', 'v1.2.0', '-m', 'v1.2.0');
    git('tag', '-a', 'v1', '-m', 'v1');
    writeFileSync(path.join(root, 'notes.md'), 'later\n');
    git('add', '-A');
    git('commit', '-qm', 'later');
    const moved = checkRelease({ root, tag: 'v1.2.0', bundle });
    expect(moved.problems).toEqual([
      expect.stringMatching(
        /^v1\.2\.0 already names [0-9a-f]{12}, not this commit: release tags are never moved/,
      ),
    ]);
    // a commit that is not a descendant of v1
    git('checkout', '-q', '-b', 'side', 'HEAD~1');
    git('tag', '-f', '-a', 'v1', '-m', 'v1', 'main');
    git('tag', '-d', 'v1.2.0');
    const backwards = checkRelease({ root, tag: 'v1.2.0', bundle });
    expect(backwards.problems).toEqual([
      expect.stringMatching(/^v1 names [0-9a-f]{12}, which is not an ancestor of this commit/),
    ]);
  });

  it('refuses what is not a release tag', () => {
    repository();
    expect(checkRelease({ root, tag: 'v1.2', bundle }).problems).toEqual([
      "'v1.2' is not a release tag: give vX.Y.Z, e.g. v1.2.0.",
    ]);
  });
});

describe("this repository's metadata", () => {
  it('action.yml fits the Marketplace form', () => {
    expect(metadataProblems(readFileSync(path.join(process.cwd(), 'action.yml'), 'utf8'))).toEqual([]);
  });
});
