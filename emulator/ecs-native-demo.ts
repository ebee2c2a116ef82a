/**
 * `npm run demo -- --ecs-native --strategy blue-green|linear|canary|rolling`: seeds an ECS-native service in
 * the emulator and runs the action (dist/index.js) against it: registers the revision, UpdateService, and
 * follows the service deployment stage by stage to its verdict.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startEmulator } from './index.js';
import { runAction, REPO_ROOT, terminalEcho } from '../scripts/action-runner.js';
import { taskDefinitionFile } from './scenario.js';
import type { NativeServiceOptions } from './ecs-native/index.js';
import { NATIVE_STRATEGIES, type NativeStrategy } from './ecs-native/index.js';
import { jobClaims, JOBS, stackParameters } from './jobs.js';

/** The service each strategy flag seeds: short bakes so that the demo ends in seconds at the default scale. */
export function nativeDemoOptions(strategy: NativeStrategy): NativeServiceOptions {
  return {
    cluster: 'demo',
    service: 'web',
    strategy,
    bakeTimeInMinutes: strategy === 'ROLLING' ? undefined : 2,
    linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 1 },
    canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 2 },
    deploymentCircuitBreaker: { enable: true, rollback: true },
    lifecycleHooks:
      strategy === 'ROLLING'
        ? []
        : [
            {
              hookTargetArn: 'arn:aws:lambda:us-east-1:111111111111:function:web-smoke-test',
              lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
            },
          ],
  };
}

/**
 * Seeds the service and runs the bundled action (dist/index.js) against it as the GitHub runner would, the
 * CodeDeploy demo's way (demo.ts): what you see is the action's real log, summary and outputs.
 * `gate`: a PAUSE hook at POST_TEST_TRAFFIC_SHIFT and a test-command (`gateFails`: that fails).
 */
export async function runNativeScenario(o: {
  strategy: string;
  scale: number;
  waitUntil?: string;
  gate?: boolean;
  gateFails?: boolean;
  failHook?: boolean;
}): Promise<number> {
  const strategy = o.strategy.toUpperCase().replace('-', '_') as NativeStrategy;
  if (!NATIVE_STRATEGIES.includes(strategy)) {
    console.error(`--strategy must be one of blue-green, linear, canary, rolling; got '${o.strategy}'.`);
    return 2;
  }
  if (!existsSync(path.join(REPO_ROOT, 'dist/index.js'))) {
    console.error('dist/index.js is missing: run `npm run bundle` first.');
    return 2;
  }
  const emu = await startEmulator({ clockScale: o.scale });
  try {
    const options = nativeDemoOptions(strategy);
    if (o.gate && strategy !== 'ROLLING')
      options.lifecycleHooks = [
        ...(options.lifecycleHooks ?? []),
        {
          targetType: 'PAUSE',
          lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
          timeoutConfiguration: { timeoutInMinutes: 60, action: 'ROLLBACK' },
        },
      ];
    if (o.failHook && strategy !== 'ROLLING')
      options.hookOutcomes = {
        POST_TEST_TRAFFIC_SHIFT: { fail: 'Smoke test failed: GET /health on the test listener returned 503' },
      };
    const s = emu.seed.ecsNativeService(options);
    // the dev deploy role of infra/github-oidc-roles.yml for this service, IAM enforced, and a dev deploy job's token
    const role = { arn: emu.seed.templateRoles(stackParameters(emu.accountId, s)).dev!.arn };
    emu.oidc.setClaims(jobClaims(JOBS.dev));
    console.log(
      `Emulator on ${emu.url}, its clock ${o.scale}× real time; seeded ${s.cluster}/${s.service} (ECS controller, ${strategy}), role ${role.arn}.`,
    );
    console.log('Running dist/index.js as the GitHub runner would. Times in the log are deployment time.\n');
    const inputs: Record<string, string> = {
      'aws-region': emu.region,
      'role-to-assume': role.arn,
      cluster: s.cluster,
      service: s.service,
      'task-definition': 'task-definition.json',
      'container-name': s.containerName,
      image: `${emu.accountId}.dkr.ecr.${emu.region}.amazonaws.com/web@sha256:${'3f'.repeat(32)}`,
      'wait-until': o.waitUntil ?? 'succeeded',
    };
    if (o.gate)
      inputs['test-command'] = o.gateFails
        ? 'echo "Testing $TEST_LISTENER_URL for $ECS_SERVICE_DEPLOYMENT_ARN"; echo "checkout flow: 2 of 5 checks failed"; exit 1'
        : 'echo "Testing $TEST_LISTENER_URL for $ECS_SERVICE_DEPLOYMENT_ARN"; echo "checkout flow: 5 of 5 checks passed"';
    const result = await runAction({
      inputs,
      env: emu.env(),
      files: {
        'task-definition.json': JSON.stringify(
          taskDefinitionFile({
            family: s.family,
            containerName: s.containerName,
            containerPort: s.containerPort,
            accountId: emu.accountId,
            secretValue: 'hunter2-never-printed',
          }),
          null,
          2,
        ),
      },
      echo: terminalEcho(),
      timeoutMs: 10 * 60_000,
    });
    console.log('\n── Job summary (GITHUB_STEP_SUMMARY) ──');
    console.log(result.summary);
    console.log('── Outputs (GITHUB_OUTPUT) ──');
    for (const [name, value] of Object.entries(result.outputs)) console.log(`${name}=${value}`);
    const expectFailure = Boolean(o.gateFails || o.failHook);
    console.log(
      '\n' +
        (result.exitCode === 0
          ? 'The action succeeded.'
          : `The action failed with exit code ${result.exitCode}${expectFailure ? ', as this demo intended' : ''}.`),
    );
    return (result.exitCode === 0) === !expectFailure ? 0 : 1;
  } finally {
    await emu.stop();
  }
}
