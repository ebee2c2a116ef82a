/**
 * The command line of `npm run demo`: what each flag does, which go together, and a message instead of a
 * stack trace for anything else.
 */
import { parseArgs } from 'node:util';

export const DEMO_USAGE = `Usage: npm run demo -- [options]

A blue/green deployment you can watch without an AWS account: the local emulator (ECS, CodeDeploy, STS,
ELBv2, GitHub's OIDC token service) on loopback, the bundled action (dist/index.js) run against it as the
GitHub runner would. Run \`npm run bundle\` first.

CodeDeploy (the default):
  --config <name>         deployment config (default CodeDeployDefault.ECSCanary10Percent5Minutes)
  --fail-hook <event>     this hook fails: BeforeInstall, AfterInstall, AfterAllowTestTraffic,
                          BeforeAllowTraffic or AfterAllowTraffic (diagnostics, CodeDeploy's rollback)
  --stuck-install         the replacement tasks fail ELB health checks: Install never ends

ECS-native (the service's own deployment controller):
  --ecs-native            deploy an ECS-native service
  --strategy <name>       blue-green (default), linear, canary or rolling
  --fail-hook POST_TEST_TRAFFIC_SHIFT   the Lambda hook fails: ECS rolls back (not with rolling)

Either engine:
  --gate                  hold the new revision for a test-command (CodeDeploy ready wait; ECS pause hook;
                          not with --strategy rolling)
  --gate-fails            … and that test-command fails: the action rolls back (needs --gate)
  --health-checks         judge the new revision by its load balancer metrics while traffic moves
                          (error-rate < 1%, p99 < 800ms, error-rate <= blue + 0.5pt): a good release passes
  --bad-release           … and the new revision answers 15 % of production requests with 5xx: the
                          action stops the canary and rolls back on its error rate (implies --health-checks)
  --wait-until <state>    none, ready, traffic-shifted or succeeded (default succeeded)
  --scale <n>             the emulator's clock, n × real time (default 30)
  -h, --help              this text

Examples:
  npm run demo
  npm run demo -- --gate --gate-fails
  npm run demo -- --bad-release
  npm run demo -- --stuck-install --scale 120
  npm run demo -- --ecs-native --strategy linear
  npm run demo -- --ecs-native --gate`;

export const CODEDEPLOY_HOOK_EVENTS = [
  'BeforeInstall',
  'AfterInstall',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AfterAllowTraffic',
];
const STRATEGIES = ['blue-green', 'linear', 'canary', 'rolling'];
const WAIT_UNTIL = ['none', 'ready', 'traffic-shifted', 'succeeded'];

/** The demo's health checks (--health-checks, --bad-release). */
export const DEMO_HEALTH_CHECKS = [
  'error-rate < 1%',
  'p99 < 800ms',
  'error-rate <= blue + 0.5pt',
  'window: 2m',
  'min-requests: 20',
].join('\n');

export interface DemoOptions {
  ecsNative: boolean;
  strategy: string;
  config: string;
  failHook?: string;
  gate: boolean;
  gateFails: boolean;
  stuckInstall: boolean;
  /** the health-checks input is set; with badRelease the new revision answers 5xx to production traffic */
  healthChecks: boolean;
  badRelease: boolean;
  waitUntil: string;
  scale: number;
}

export type DemoArgs = { kind: 'run'; options: DemoOptions } | { kind: 'exit'; code: number; text: string };

const refuse = (message: string): DemoArgs => ({
  kind: 'exit',
  code: 2,
  text: `${message}\nRun \`npm run demo -- --help\` for the options.`,
});

export function parseDemoArgs(argv: string[]): DemoArgs {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        'fail-hook': { type: 'string' },
        gate: { type: 'boolean' },
        'gate-fails': { type: 'boolean' },
        config: { type: 'string' },
        scale: { type: 'string' },
        'wait-until': { type: 'string' },
        'stuck-install': { type: 'boolean' },
        'ecs-native': { type: 'boolean' },
        strategy: { type: 'string' },
        'health-checks': { type: 'boolean' },
        'bad-release': { type: 'boolean' },
      },
    }));
  } catch (error) {
    // node:util's parseArgs: "Unknown option '--x'", "Option '--scale <value>' argument missing", …
    return refuse((error as Error).message.split('. ')[0] ?? String(error));
  }
  if (values.help) return { kind: 'exit', code: 0, text: DEMO_USAGE };
  if (positionals.length > 0)
    return refuse(`Unexpected argument '${positionals[0]}': every option starts with --.`);

  const ecsNative = values['ecs-native'] === true;
  const strategy = (values.strategy as string | undefined) ?? 'blue-green';
  const failHook = values['fail-hook'] as string | undefined;
  const gate = values.gate === true;
  const gateFails = values['gate-fails'] === true;
  const stuckInstall = values['stuck-install'] === true;
  const waitUntil = (values['wait-until'] as string | undefined) ?? 'succeeded';
  const scale = Number(values.scale ?? '30');

  if (values.strategy !== undefined && !ecsNative)
    return refuse('--strategy is for ECS-native services: add --ecs-native.');
  if (!STRATEGIES.includes(strategy))
    return refuse(`--strategy must be one of ${STRATEGIES.join(', ')}; got '${strategy}'.`);
  if (ecsNative && values.config !== undefined)
    return refuse('--config is a CodeDeploy deployment config: ECS-native services have --strategy instead.');
  if (ecsNative && stuckInstall)
    return refuse('--stuck-install is a CodeDeploy Install: not with --ecs-native.');
  if (gateFails && !gate) return refuse('--gate-fails needs --gate (the test-command that fails).');
  if (ecsNative && strategy === 'rolling' && (gate || failHook !== undefined))
    return refuse(
      'A rolling deployment has no test traffic: --gate and --fail-hook need another --strategy.',
    );
  if (failHook !== undefined) {
    const allowed = ecsNative ? ['POST_TEST_TRAFFIC_SHIFT'] : CODEDEPLOY_HOOK_EVENTS;
    if (!allowed.includes(failHook))
      return refuse(
        `--fail-hook must be ${ecsNative ? '' : 'one of '}${allowed.join(', ')}${ecsNative ? ' with --ecs-native' : ''}; got '${failHook}'.`,
      );
  }
  if (values['bad-release'] === true && ecsNative && strategy === 'rolling')
    return refuse(
      '--bad-release is judged while traffic moves between target groups: not with --strategy rolling.',
    );
  if (!WAIT_UNTIL.includes(waitUntil))
    return refuse(`--wait-until must be one of ${WAIT_UNTIL.join(', ')}; got '${waitUntil}'.`);
  if (!Number.isFinite(scale) || scale <= 0)
    return refuse(`--scale must be a positive number; got '${String(values.scale)}'.`);
  return {
    kind: 'run',
    options: {
      ecsNative,
      strategy,
      config: (values.config as string | undefined) ?? 'CodeDeployDefault.ECSCanary10Percent5Minutes',
      ...(failHook !== undefined ? { failHook } : {}),
      gate,
      gateFails,
      stuckInstall,
      healthChecks: values['health-checks'] === true || values['bad-release'] === true,
      badRelease: values['bad-release'] === true,
      waitUntil,
      scale,
    },
  };
}
