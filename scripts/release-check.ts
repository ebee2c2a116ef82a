/**
 * Checks a commit before it is tagged vX.Y.Z (docs/releasing.md), and prints the tag commands.
 *
 *   npm run release:check -- v1.2.0
 *
 * - the tag is vX.Y.Z and package.json's version is X.Y.Z;
 * - the working tree is clean, and dist/ is what `npm run bundle` builds from these sources (it runs the
 *   bundle and compares): the tag then carries the code the action runs;
 * - CHANGELOG.md has a `## [X.Y.Z] - YYYY-MM-DD` section;
 * - action.yml's name and description fit the Marketplace form (a description of fewer than 125
 *   characters; the form refuses longer ones) and its branding is set;
 * - the tag does not exist yet, or already names this commit (release tags are never moved);
 * - the major tag vX, if it exists, is an ancestor of this commit (it moves forward only).
 * Exit status 1 with the problems listed, 0 with the commands to run.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Feather icons and colors the metadata syntax allows for `branding` (docs "Metadata syntax", branding). */
const BRANDING_COLORS = ['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark'];

export interface ReleaseCheckOptions {
  root: string;
  tag: string;
  /** rebuild dist/ in root (npm run bundle) */
  bundle: () => void;
}

export interface ReleaseCheckResult {
  problems: string[];
  commands: string[];
}

function git(root: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function tryGit(root: string, ...args: string[]): string | undefined {
  try {
    return git(root, ...args);
  } catch {
    return undefined;
  }
}

/** The problems with action.yml's metadata for a Marketplace listing. */
export function metadataProblems(actionYml: string): string[] {
  const meta = parseYaml(actionYml) as {
    name?: unknown;
    description?: unknown;
    branding?: { icon?: unknown; color?: unknown };
  };
  const problems: string[] = [];
  if (typeof meta.name !== 'string' || meta.name.trim() === '') problems.push('action.yml has no name.');
  if (typeof meta.description !== 'string' || meta.description.trim() === '')
    problems.push('action.yml has no description.');
  else if (meta.description.trim().length >= 125)
    problems.push(
      `action.yml's description has ${meta.description.trim().length} characters; the Marketplace takes fewer than 125. Shorten it (the README says the rest).`,
    );
  if (typeof meta.branding?.icon !== 'string') problems.push('action.yml has no branding.icon.');
  if (typeof meta.branding?.color !== 'string' || !BRANDING_COLORS.includes(meta.branding.color))
    problems.push(`action.yml's branding.color must be one of ${BRANDING_COLORS.join(', ')}.`);
  return problems;
}

export function checkRelease(o: ReleaseCheckOptions): ReleaseCheckResult {
  const problems: string[] = [];
  const m = /^v(\d+)\.(\d+)\.(\d+)$/.exec(o.tag);
  if (!m) return { problems: [`'${o.tag}' is not a release tag: give vX.Y.Z, e.g. v1.2.0.`], commands: [] };
  const version = o.tag.slice(1);
  const major = `v${m[1]}`;

  const pkg = JSON.parse(readFileSync(path.join(o.root, 'package.json'), 'utf8')) as { version?: string };
  if (pkg.version !== version)
    problems.push(
      `package.json's version is ${pkg.version ?? '(none)'}, not ${version}: bump it in a commit first.`,
    );

  if (git(o.root, 'status', '--porcelain') !== '')
    problems.push(
      'The working tree has changes: commit or stash them; the tag names a commit, not your files.',
    );
  else {
    o.bundle();
    const stale = git(o.root, 'status', '--porcelain', '--', 'dist');
    if (stale !== '') {
      problems.push(
        `dist/ is not what npm run bundle builds from these sources (${stale.split('\n').length} file(s) differ): commit the rebuilt dist/ first.`,
      );
      git(o.root, 'checkout', '--', 'dist');
      git(o.root, 'clean', '-fdq', '--', 'dist');
    }
  }

  const changelog = path.join(o.root, 'CHANGELOG.md');
  const escaped = version.replace(/\./g, '\\.');
  if (!existsSync(changelog)) problems.push('CHANGELOG.md is missing.');
  else if (
    !new RegExp(`^## \\[${escaped}\\] - \\d{4}-\\d{2}-\\d{2}$`, 'm').test(readFileSync(changelog, 'utf8'))
  )
    problems.push(
      `CHANGELOG.md has no "## [${version}] - YYYY-MM-DD" section: move what Unreleased lists under it, with today's date.`,
    );

  problems.push(...metadataProblems(readFileSync(path.join(o.root, 'action.yml'), 'utf8')));

  const head = git(o.root, 'rev-parse', 'HEAD');
  const tagged = tryGit(o.root, 'rev-parse', '--verify', '--quiet', `${o.tag}^{commit}`);
  if (tagged && tagged !== head)
    problems.push(
      `${o.tag} already names ${tagged.slice(0, 12)}, not this commit: release tags are never moved; release the next patch instead.`,
    );
  const majorAt = tryGit(o.root, 'rev-parse', '--verify', '--quiet', `${major}^{commit}`);
  if (majorAt && tryGit(o.root, 'merge-base', '--is-ancestor', majorAt, head) === undefined)
    problems.push(
      `${major} names ${majorAt.slice(0, 12)}, which is not an ancestor of this commit: the major tag only moves forward.`,
    );

  const commands = [
    ...(tagged ? [] : [`git tag -a ${o.tag} -m "${o.tag}"`, `git push origin ${o.tag}`]),
    `git tag -f -a ${major} -m "${major} → ${o.tag}" ${o.tag}^{commit}`,
    `git push -f origin ${major}`,
  ];
  return { problems, commands: problems.length === 0 ? commands : [] };
}

function main(argv: string[]): number {
  const tag = argv[0];
  if (!tag || argv.length > 1 || tag === '--help' || tag === '-h') {
    console.error('Usage: npm run release:check -- vX.Y.Z');
    return tag === '--help' || tag === '-h' ? 0 : 2;
  }
  const result = checkRelease({
    root: REPO_ROOT,
    tag,
    bundle: () => execFileSync('node', ['scripts/bundle.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' }),
  });
  if (result.problems.length > 0) {
    console.error(`Not ready to tag ${tag}:`);
    for (const p of result.problems) console.error(`  - ${p}`);
    return 1;
  }
  console.log(`Ready to tag ${tag}. Run:`);
  for (const c of result.commands) console.log(`  ${c}`);
  return 0;
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(path.resolve(entry)).href) {
  process.exit(main(process.argv.slice(2)));
}
