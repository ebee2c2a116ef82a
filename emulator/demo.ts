/**
 * `npm run demo` — a blue/green deployment you can watch without an AWS account.
 *
 * Starts the local emulator (ECS, CodeDeploy, STS, ELBv2 and GitHub's OIDC token service on loopback,
 * its clock running faster than real time), seeds a cluster, a blue/green service, a CodeDeploy
 * application and group and a deploy role, then runs the bundled dist/index.js exactly as the GitHub
 * runner would: INPUT_* variables, the GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY files and the
 * OIDC variables. What you see is the action's real log.
 *
 *   npm run demo                                   canary deployment with two hooks, to Succeeded
 *   npm run demo -- --fail-hook AfterAllowTestTraffic   a hook fails: diagnostics and CodeDeploy's rollback
 *   npm run demo -- --gate                         the group holds the replacement for a test command
 *   npm run demo -- --gate --gate-fails            … which fails: the action stops the deployment with rollback
 *   npm run demo -- --stuck-install --scale 120    the replacement tasks fail ELB health checks: Install never ends
 *   npm run demo -- --config CodeDeployDefault.ECSLinear10PercentEvery1Minutes --scale 30
 *   npm run demo -- --ecs-native --strategy linear   the action deploys an ECS-native service (blue-green|linear|canary|rolling)
 *   npm run demo -- --ecs-native --gate [--gate-fails]   … with a pause hook at POST_TEST_TRAFFIC_SHIFT and a test-command
 *   npm run demo -- --ecs-native --fail-hook POST_TEST_TRAFFIC_SHIFT   … whose hook fails: ECS rolls back
 *   npm run demo -- --help                         every option (emulator/demo-args.ts)
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startEmulator } from './index.js';
import { runNativeScenario } from './ecs-native-demo.js';
import { parseDemoArgs } from './demo-args.js';
import { runAction, REPO_ROOT, terminalEcho } from '../scripts/action-runner.js';
import { appSpecYaml, taskDefinitionFile } from './scenario.js';
import { jobClaims, JOBS, stackParameters } from './jobs.js';

const args = parseDemoArgs(process.argv.slice(2));
if (args.kind === 'exit') {
  (args.code === 0 ? console.log : console.error)(args.text);
  process.exit(args.code);
}
const options = args.options;
const failHook = options.failHook;
const scale = options.scale;
if (options.ecsNative) {
  runNativeScenario({
    strategy: options.strategy,
    scale,
    waitUntil: options.waitUntil,
    gate: options.gate,
    gateFails: options.gateFails,
    failHook: failHook !== undefined,
  }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else if (!existsSync(path.join(REPO_ROOT, 'dist/index.js'))) {
  console.error('dist/index.js is missing: run `npm run bundle` first.');
  process.exit(2);
}

const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string): string => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

/** A light Markdown → terminal rendering of the job summary: headings bold, tables aligned. */
function renderMarkdownForTerminal(markdown: string): string {
  const out: string[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('|')) {
      const table: string[][] = [];
      for (; i < lines.length && (lines[i] as string).startsWith('|'); i++) {
        const cells = (lines[i] as string)
          .replace(/^\||\|$/g, '')
          .split('|')
          .map((c) => c.trim());
        if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
        table.push(cells.map((c) => c.replace(/`/g, '').replace(/\*\*/g, '')));
      }
      i--;
      const widths: number[] = [];
      for (const row of table) row.forEach((c, k) => (widths[k] = Math.max(widths[k] ?? 0, c.length)));
      for (const [r, row] of table.entries()) {
        const text = row.map((c, k) => c.padEnd(widths[k] ?? 0)).join('  ');
        out.push(r === 0 ? bold(text) : text);
      }
      continue;
    }
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) out.push(bold(heading[1] as string));
    else if (/^<\/?details>|^<summary>/.test(line)) out.push(dim(line.replace(/<[^>]+>/g, '')));
    else out.push(line.replace(/`/g, '').replace(/\*\*(.+?)\*\*/g, (_m, s: string) => bold(s)));
  }
  return out.join('\n');
}

async function main(): Promise<number> {
  const emulator = await startEmulator({ clockScale: scale });
  try {
    const seeded = emulator.seed.blueGreenService({
      cluster: 'demo',
      service: 'web',
      deploymentConfig: options.config,
      terminationWaitMinutes: 5,
      autoRollback: true,
      readyOption: options.gate
        ? { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 30 }
        : { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 0 },
    });
    emulator.seed.lambda('web-smoke-test');
    emulator.seed.lambda('web-check-errors');
    if (options.stuckInstall) {
      // CodeDeploy sits in Install for 60 minutes while ECS starts the replacement tasks again and again
      emulator.faults.set({ stuckInstall: { cause: 'health-checks', cycleSeconds: 90 } });
    }
    if (failHook) {
      emulator.faults.set({
        failHook: {
          event: failHook as 'AfterAllowTestTraffic',
          message: 'Smoke test failed: GET /health on the test listener returned 503 (3 of 3 attempts)',
          logTail:
            'START RequestId: 6f1c…\nGET http://test-listener:8080/health → 503 Service Unavailable\nGET http://test-listener:8080/health → 503 Service Unavailable\nGET http://test-listener:8080/health → 503 Service Unavailable\nEND RequestId: 6f1c…',
        },
      });
    }
    // the dev deploy role of infra/github-oidc-roles.yml for this service, IAM enforced, and a dev deploy job's token
    const role = { arn: emulator.seed.templateRoles(stackParameters(emulator.accountId, seeded)).dev!.arn };
    emulator.oidc.setClaims(jobClaims(JOBS.dev));

    const taskDefinition = taskDefinitionFile({
      family: seeded.family,
      containerName: seeded.containerName,
      containerPort: seeded.containerPort,
      accountId: emulator.accountId,
      secretValue: 'hunter2-never-printed',
    });
    const appspec = appSpecYaml(seeded.containerName, seeded.containerPort, {
      AfterAllowTestTraffic: 'web-smoke-test',
      AfterAllowTraffic: 'web-check-errors',
    });
    const image = `${emulator.accountId}.dkr.ecr.${emulator.region}.amazonaws.com/web@sha256:${'3f'.repeat(32)}`;

    console.log(bold(`Emulator on ${emulator.url}, its clock ${scale}× real time.`));
    console.log(
      `Seeded cluster ${seeded.cluster}, service ${seeded.service} (CODE_DEPLOY controller), CodeDeploy ${seeded.application} / ${seeded.deploymentGroup} (${options.config}${options.gate ? ', holds the replacement for testing' : ''}, 5 min termination wait), role ${role.arn}.`,
    );
    console.log(
      dim('Running dist/index.js as the GitHub runner would. Times in the log are deployment time.\n'),
    );

    const inputs: Record<string, string> = {
      'aws-region': emulator.region,
      'role-to-assume': role.arn,
      cluster: seeded.cluster,
      service: seeded.service,
      'task-definition': 'task-definition.json',
      'container-name': seeded.containerName,
      image,
      'codedeploy-appspec': 'appspec.yaml',
      'wait-until': options.waitUntil,
    };
    if (options.gate) {
      inputs['test-command'] = options.gateFails
        ? 'echo "Testing $TEST_LISTENER_URL for $CODEDEPLOY_DEPLOYMENT_ID"; echo "checkout flow: 2 of 5 checks failed"; exit 1'
        : 'echo "Testing $TEST_LISTENER_URL for $CODEDEPLOY_DEPLOYMENT_ID"; echo "checkout flow: 5 of 5 checks passed"';
      inputs['test-timeout-minutes'] = '10';
    }
    const result = await runAction({
      inputs,
      env: emulator.env(),
      files: {
        'task-definition.json': JSON.stringify(taskDefinition, null, 2),
        'appspec.yaml': appspec,
      },
      // what the runner would show: its ::add-mask:: commands acted on, not printed
      echo: terminalEcho(),
      timeoutMs: 10 * 60_000,
    });

    console.log('\n' + bold('── Job summary (written to GITHUB_STEP_SUMMARY, rendered here) ──'));
    console.log(renderMarkdownForTerminal(result.summary));
    console.log(bold('── Outputs (GITHUB_OUTPUT) ──'));
    for (const [name, value] of Object.entries(result.outputs)) console.log(`${name}=${value}`);
    const expectFailure = Boolean(failHook) || options.gateFails || options.stuckInstall;
    console.log(
      '\n' +
        (result.exitCode === 0
          ? 'The action succeeded.'
          : `The action failed with exit code ${result.exitCode}${expectFailure ? ', as this demo intended' : ''}.`),
    );
    return (result.exitCode === 0) === !expectFailure ? 0 : 1;
  } finally {
    await emulator.stop();
  }
}

if (!options.ecsNative)
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
