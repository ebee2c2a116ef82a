/**
 * `npm run demo` as a user runs it: its usage, its refusals (a message, no stack trace), and a terminal
 * log without the runner's ::add-mask:: commands, for both engines.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../scripts/action-runner.js';

const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const demo = (...args: string[]) =>
  spawnSync(TSX, ['emulator/demo.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 180_000 });

describe('npm run demo', () => {
  it('--help prints the usage; a meaningless flag is refused with a message, not a stack trace', () => {
    const help = demo('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run demo -- \[options\]/);
    const refused = demo('--strategy', 'linear');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/--strategy is for ECS-native services: add --ecs-native/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(refused.stdout).toBe('');
  }, 60_000);

  it.each([
    ['CodeDeploy', ['--config', 'CodeDeployDefault.ECSAllAtOnce', '--scale', '300']],
    ['ECS-native', ['--ecs-native', '--scale', '300']],
  ])(
    '%s: the terminal shows the log as the runner would, without ::add-mask:: lines',
    (_engine, args) => {
      const run = demo(...args);
      expect(run.status).toBe(0);
      expect(run.stdout).toMatch(/The action succeeded\./);
      // the action did ask the runner to mask its credentials …
      expect(run.stdout).toMatch(/role\/github-deploy-web-dev/);
      // … and the terminal shows none of those commands
      expect(run.stdout).not.toMatch(/::add-mask::/);
    },
    180_000,
  );
});
