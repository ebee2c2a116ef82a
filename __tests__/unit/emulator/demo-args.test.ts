/**
 * `npm run demo`'s command line: --help prints the usage, meaningless combinations are refused with a
 * message (never a stack trace), and the terminal shows the log as the runner would (no ::add-mask::).
 */
import { describe, expect, it } from '@jest/globals';
import { DEMO_USAGE, parseDemoArgs } from '../../../emulator/demo-args.js';
import { terminalEcho } from '../../../scripts/action-runner.js';

describe('npm run demo -- <options>', () => {
  it.each([['--help'], ['-h'], ['--ecs-native', '--help']])('%s prints the usage and exits 0', (...argv) => {
    expect(parseDemoArgs(argv)).toEqual({ kind: 'exit', code: 0, text: DEMO_USAGE });
  });

  it('the usage names every option the parser takes', () => {
    for (const option of [
      '--config',
      '--fail-hook',
      '--stuck-install',
      '--ecs-native',
      '--strategy',
      '--gate',
      '--gate-fails',
      '--wait-until',
      '--scale',
      '--help',
    ])
      expect(DEMO_USAGE).toContain(option);
  });

  it.each([
    [['--strategy', 'linear'], /--strategy is for ECS-native services: add --ecs-native/],
    [['--gate-fails'], /--gate-fails needs --gate/],
    [['--ecs-native', '--stuck-install'], /--stuck-install is a CodeDeploy Install/],
    [
      ['--ecs-native', '--config', 'CodeDeployDefault.ECSAllAtOnce'],
      /--config is a CodeDeploy deployment config/,
    ],
    [['--ecs-native', '--strategy', 'rolling', '--gate'], /A rolling deployment has no test traffic/],
    [
      ['--ecs-native', '--fail-hook', 'AfterInstall'],
      /--fail-hook must be POST_TEST_TRAFFIC_SHIFT with --ecs-native; got 'AfterInstall'/,
    ],
    [
      ['--fail-hook', 'POST_TEST_TRAFFIC_SHIFT'],
      /--fail-hook must be one of BeforeInstall, .*; got 'POST_TEST_TRAFFIC_SHIFT'/,
    ],
    [
      ['--ecs-native', '--strategy', 'blue_green'],
      /--strategy must be one of blue-green, linear, canary, rolling; got 'blue_green'/,
    ],
    [
      ['--wait-until', 'done'],
      /--wait-until must be one of none, ready, traffic-shifted, succeeded; got 'done'/,
    ],
    [['--scale', '0'], /--scale must be a positive number; got '0'/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--scale'], /Option '--scale <value>' argument missing/],
    [['linear'], /Unexpected argument 'linear'/],
  ])('%j is refused: %s', (argv, message) => {
    const parsed = parseDemoArgs(argv);
    expect(parsed.kind).toBe('exit');
    if (parsed.kind !== 'exit') return;
    expect(parsed.code).toBe(2);
    expect(parsed.text).toMatch(message);
    expect(parsed.text).toContain('npm run demo -- --help');
    expect(parsed.text).not.toMatch(/\n\s+at /);
  });

  it.each([
    [[], { ecsNative: false, strategy: 'blue-green', gate: false, scale: 30, waitUntil: 'succeeded' }],
    [['--gate', '--gate-fails', '--scale', '120'], { gate: true, gateFails: true, scale: 120 }],
    [['--ecs-native', '--strategy', 'canary', '--gate'], { ecsNative: true, strategy: 'canary', gate: true }],
    [['--ecs-native', '--fail-hook', 'POST_TEST_TRAFFIC_SHIFT'], { failHook: 'POST_TEST_TRAFFIC_SHIFT' }],
    [
      ['--fail-hook', 'AfterAllowTestTraffic', '--config', 'CodeDeployDefault.ECSAllAtOnce'],
      { failHook: 'AfterAllowTestTraffic', config: 'CodeDeployDefault.ECSAllAtOnce' },
    ],
  ])('%j runs with %j', (argv, expected) => {
    const parsed = parseDemoArgs(argv);
    expect(parsed).toMatchObject({ kind: 'run', options: expected });
  });
});

describe('terminalEcho: the log as the runner shows it', () => {
  it('drops ::add-mask:: lines, even split across chunks, and hides the value in later lines', () => {
    let shown = '';
    const echo = terminalEcho((t) => (shown += t));
    echo('Assuming the role\n::add-ma');
    echo('sk::ASIAEXAMPLEKEY\n  ::add-mask::s3cr3t-v4lue\nkey ASIAEXAMPLEKEY in use');
    echo(', secret s3cr3t-v4lue\n::group::Deploying\n');
    expect(shown).toBe('Assuming the role\nkey *** in use, secret ***\n::group::Deploying\n');
  });
});
