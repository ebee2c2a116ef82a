/**
 * The test-traffic gate: while CodeDeploy holds the replacement task set in Ready behind the test
 * listener, run the user's command against it; its exit code decides between rerouting production
 * traffic and rolling back.
 */
import { spawn } from 'node:child_process';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { DeploymentGroupInfo, DeploymentInfo, ECSTarget } from '@aws-sdk/client-codedeploy';
import type { Clock } from '../action/clock.js';
import type { Runtime } from '../action/runtime.js';
import type { AwsClients } from '../aws/clients.js';
import type { DeployInputs } from '../action/inputs.js';
import { DeploymentError, errorMessage } from '../action/errors.js';
import { readDeploymentTarget } from '../aws/codedeploy-reads.js';
import { continueDeployment, SteeringRefused } from '../engines/codedeploy/control.js';
import { ACTIVE_POLL_MS } from '../engines/codedeploy/pacing.js';
import {
  readyWaitLeftMs,
  readyWaitMinutesOf,
  unfinishedTestTrafficEvents,
} from '../engines/codedeploy/ready-wait.js';
import type { Observation } from '../engines/codedeploy/progress.js';
import { setVerdict, type DeploymentRecord } from '../record/record.js';
import { testCommandEnv, testCommandFiles } from './test-command-env.js';
import {
  conclude,
  findAndFollowRollback,
  rollbackOnGivingUp,
  stopAndFollowRollback,
  type Follow,
} from './follow.js';

/** What the gate needs: the follow in progress, the inputs, and the group (for the test listener). */
export interface GateContext extends Follow {
  inputs: Pick<DeployInputs, 'testTimeoutMinutes'>;
  clients: AwsClients;
  plan: { group: Pick<DeploymentGroupInfo, 'loadBalancerInfo'>; readyWaitMinutes?: number };
}

/** How long the gate waits for the test-traffic events to be reported finished once the deployment is Ready. */
export const TEST_TRAFFIC_CONFIRM_MS = 60_000;

/**
 * Reads the target until its test-traffic events are finished (Succeeded or Skipped; a group without a
 * test listener may list none) and returns it; the names of those still unfinished when the bound runs out.
 */
async function confirmTestTrafficDone(
  ctx: GateContext,
  observation: Observation,
): Promise<{ target: ECSTarget | undefined; unfinished: string[] }> {
  const { rt, record } = ctx;
  let target = observation.target;
  const until = rt.clock.now() + TEST_TRAFFIC_CONFIRM_MS;
  for (;;) {
    const read = await readDeploymentTarget(ctx.codedeploy, record.deploymentId, ctx.targetId).catch(
      () => undefined,
    );
    if (read?.kind === 'target' && read.target) target = read.target;
    const unfinished = unfinishedTestTrafficEvents(target);
    if (unfinished.length === 0 || rt.clock.now() >= until) return { target, unfinished };
    await rt.clock.sleep(ACTIVE_POLL_MS, rt.signal);
    if (rt.signal.aborted) return { target, unfinished };
  }
}

/** Warns when test-timeout-minutes is longer than what is left of the ready wait, by CodeDeploy's own timestamps. */
function warnOnReadyWaitLeft(
  ctx: GateContext,
  deployment: DeploymentInfo,
  target: ECSTarget | undefined,
): void {
  const { rt, inputs } = ctx;
  const minutes = readyWaitMinutesOf(deployment, ctx.plan.readyWaitMinutes);
  const leftMs = readyWaitLeftMs(target, minutes, rt.clock.now());
  if (leftMs === undefined || inputs.testTimeoutMinutes * 60_000 <= leftMs) return;
  const left = Math.max(0, Math.floor(leftMs / 60_000));
  rt.warning(
    `test-timeout-minutes is ${inputs.testTimeoutMinutes} but about ${left} min of the ${minutes}-minute ready wait are left (counted from CodeDeploy's own timestamps): if test-command runs that long, CodeDeploy stops the deployment first and rolls it back. Shorten test-timeout-minutes or lengthen the group's ready wait.`,
  );
}

/** The test listener's ARN from the deployment (or its group). */
export function testListenerArn(
  source: Pick<DeploymentInfo | DeploymentGroupInfo, 'loadBalancerInfo'>,
): string | undefined {
  return source.loadBalancerInfo?.targetGroupPairInfoList?.[0]?.testTrafficRoute?.listenerArns?.[0];
}

/** `protocol://dns-name:port` of the test listener, or undefined when it cannot be resolved (no listener, no permission). */
export async function resolveTestListenerUrl(
  elbv2: ElasticLoadBalancingV2Client,
  listenerArn: string,
): Promise<string | undefined> {
  const listeners = await elbv2.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }));
  const listener = listeners.Listeners?.[0];
  if (!listener?.LoadBalancerArn || !listener.Port) return undefined;
  const lbs = await elbv2.send(
    new DescribeLoadBalancersCommand({ LoadBalancerArns: [listener.LoadBalancerArn] }),
  );
  const dns = lbs.LoadBalancers?.[0]?.DNSName;
  if (!dns) return undefined;
  const scheme = listener.Protocol === 'HTTPS' || listener.Protocol === 'TLS' ? 'https' : 'http';
  const defaultPort = scheme === 'https' ? 443 : 80;
  return listener.Port === defaultPort ? `${scheme}://${dns}` : `${scheme}://${dns}:${listener.Port}`;
}

export interface TestRunResult {
  outcome: 'passed' | 'failed' | 'timeout' | 'cancelled';
  exitCode?: number;
  durationMs: number;
  /** the file commands (GITHUB_OUTPUT, …) the command wrote to: its own files, discarded */
  ignoredFiles: string[];
}

export interface TestRunOptions {
  command: string;
  /** the variables the gate adds (CODEDEPLOY_DEPLOYMENT_ID, TEST_LISTENER_URL, …) */
  env: Record<string, string>;
  /** the job's environment the command starts from (test-command-env.ts); process.env by default */
  baseEnv?: NodeJS.ProcessEnv;
  timeoutMs: number;
  clock: Clock;
  signal?: AbortSignal;
  /** where the command's output goes (the step log) */
  write(chunk: string): void;
  cwd?: string;
}

/**
 * Runs the command with bash (`-eo pipefail`, like a `shell: bash` step), streaming its output, in its
 * own process group so a timeout or a cancel ends the whole tree. It gets a `run:` step's environment
 * and its own file-command files (test-command-env.ts), never the action's.
 */
export function runTestCommand(options: TestRunOptions): Promise<TestRunResult> {
  const started = options.clock.now();
  // Cancelled before it began: never start the command.
  if (options.signal?.aborted)
    return Promise.resolve({ outcome: 'cancelled', durationMs: 0, ignoredFiles: [] });
  const baseEnv = options.baseEnv ?? process.env;
  const files = testCommandFiles(baseEnv);
  return new Promise((resolve) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', options.command], {
      env: testCommandEnv(baseEnv, files.paths, options.env),
      cwd: options.cwd ?? baseEnv.GITHUB_WORKSPACE ?? process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let ending: TestRunResult['outcome'] | undefined;
    const kill = (outcome: TestRunResult['outcome']): void => {
      ending ??= outcome;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5000).unref();
    };
    const timer = setTimeout(() => kill('timeout'), options.timeoutMs / options.clock.scale);
    const onAbort = (): void => kill('cancelled');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => options.write(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => options.write(chunk.toString()));
    const finish = (code: number | null): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const durationMs = options.clock.now() - started;
      const ignoredFiles = files.written();
      files.discard();
      const exitCode = code ?? undefined;
      if (ending) resolve({ outcome: ending, exitCode, durationMs, ignoredFiles });
      else resolve({ outcome: code === 0 ? 'passed' : 'failed', exitCode, durationMs, ignoredFiles });
    };
    child.on('error', () => finish(127));
    child.on('close', (code) => finish(code));
  });
}

/**
 * The gate itself: runs test-command while the replacement is held in Ready, then reroutes production
 * traffic (pass) or stops the deployment with rollback (fail, timeout). Throws DeploymentError unless
 * traffic may go on to production.
 */
export async function runGate(ctx: GateContext, command: string, observation: Observation): Promise<void> {
  const { rt, inputs, clients, record } = ctx;
  const deployment = observation.deployment;
  if (deployment.status !== 'Ready') {
    // Production traffic is moving without the tests having run: that is the gate failing.
    const text = `Deployment ${record.deploymentId} moved on to ${deployment.status} without waiting in Ready, so test-command could not gate it. Check the deployment group's ready option (STOP_DEPLOYMENT with a wait time).`;
    setVerdict(record, 'failed', text);
    rt.error(text, { title: 'Test-traffic gate could not run' });
    await rollbackOnGivingUp(ctx, 'test-command could not gate it');
    throw new DeploymentError(text, { reported: true });
  }
  const confirmed = await confirmTestTrafficDone(ctx, observation);
  if (confirmed.unfinished.length > 0 && !rt.signal.aborted) {
    const text = `Deployment ${record.deploymentId} is Ready but CodeDeploy still shows ${confirmed.unfinished.join(', ')} after ${TEST_TRAFFIC_CONFIRM_MS / 1000}s: test-command was not run against a test listener that may not point at the replacement yet.`;
    setVerdict(record, 'failed', text);
    rt.error(text, { title: 'Test-traffic gate could not run' });
    await rollbackOnGivingUp(ctx, 'the test-traffic events did not finish');
    throw new DeploymentError(text, { reported: true });
  }
  warnOnReadyWaitLeft(ctx, deployment, confirmed.target);
  const listenerArn = testListenerArn(deployment) ?? testListenerArn(ctx.plan.group);
  const testUrl = await testListenerUrl(rt, clients, listenerArn);
  await runGateCommand(
    rt,
    record,
    {
      command,
      env: { CODEDEPLOY_DEPLOYMENT_ID: record.deploymentId },
      listenerArn,
      testUrl,
      timeoutMinutes: inputs.testTimeoutMinutes,
    },
    {
      cancelled: () => conclude(ctx, { kind: 'aborted', observation }, 'ready', ''),
      passed: async () => {
        rt.info(`✔ test-command passed: rerouting production traffic (ContinueDeployment READY_WAIT).`);
        await rerouteAfterTests(ctx);
      },
      failed: async (why) => {
        const text = `Test-traffic gate failed (test-command ${why}); deployment ${record.deploymentId} stopped and rolled back.`;
        setVerdict(record, 'failed', text);
        await stopAndFollowRollback(ctx, `because test-command ${why}`);
        return text;
      },
    },
  );
}

/** The test listener's URL for TEST_LISTENER_URL; none, with a warning, when it cannot be resolved. */
export async function testListenerUrl(
  rt: Runtime,
  clients: Pick<AwsClients, 'elbv2'>,
  listenerArn: string | undefined,
): Promise<string | undefined> {
  if (!listenerArn) return undefined;
  return resolveTestListenerUrl(clients.elbv2(), listenerArn).catch((error: unknown) => {
    rt.warning(
      `Could not resolve the test listener URL (${errorMessage(error)}); TEST_LISTENER_URL is not set.`,
    );
    return undefined;
  });
}

/** The command the gate runs, and what it is given besides a `run:` step's environment. */
export interface GateRun {
  command: string;
  /** the engine's names for the deployment (CODEDEPLOY_DEPLOYMENT_ID, ECS_SERVICE_DEPLOYMENT_ARN, …) */
  env: Record<string, string>;
  listenerArn?: string;
  testUrl?: string;
  timeoutMinutes: number;
}

/** What the engine does with the gate's result. */
export interface GateSteps {
  /** the run was cancelled: conclude as a cancel (rollback-on-cancel); production traffic must not move */
  cancelled(): Promise<void>;
  /** the tests passed: let the deployment go on to production traffic */
  passed(): Promise<void>;
  /** the tests failed or timed out (`why`): stop with rollback and set the verdict; returns its text */
  failed(why: string): Promise<string>;
}

/**
 * The gate for either engine, once the deployment waits with test traffic on the new revision: runs the
 * command (in a log group), records it (record.testGate), and hands the result to the engine's steps.
 * Throws DeploymentError when the tests failed or timed out.
 */
export async function runGateCommand(
  rt: Runtime,
  record: DeploymentRecord,
  run: GateRun,
  steps: GateSteps,
): Promise<void> {
  const { command, listenerArn, testUrl } = run;
  rt.startGroup(`Test-traffic gate: ${command}`);
  const result = await runTestCommand({
    command,
    env: {
      ...run.env,
      TASK_DEFINITION_ARN: record.taskDefinitionArn,
      ...(testUrl ? { TEST_LISTENER_URL: testUrl } : {}),
      ...(listenerArn ? { TEST_LISTENER_ARN: listenerArn } : {}),
    },
    baseEnv: rt.env,
    timeoutMs: run.timeoutMinutes * 60_000,
    clock: rt.clock,
    signal: rt.signal,
    write: (chunk) => rt.write(chunk),
  });
  rt.endGroup();
  if (result.ignoredFiles.length > 0) {
    rt.info(
      `test-command wrote to ${result.ignoredFiles.join(', ')}: ignored (the test command gets its own files; its writes never change this action's outputs or state, or later steps).`,
    );
  }
  record.testGate = {
    command,
    exitCode: result.exitCode,
    durationMs: result.durationMs,
    outcome: result.outcome,
    testUrl,
  };
  // A cancel that lands as the command ends must not let production traffic move.
  if (result.outcome === 'cancelled' || rt.signal.aborted) return steps.cancelled();
  if (result.outcome === 'passed') return steps.passed();
  const why =
    result.outcome === 'timeout'
      ? `timed out after ${run.timeoutMinutes} min`
      : `exited with ${result.exitCode}`;
  rt.info(
    `✖ test-command ${why}: stopping ${record.deploymentId} with rollback; production traffic never moved.`,
  );
  throw new DeploymentError(await steps.failed(why));
}

/**
 * ContinueDeployment(READY_WAIT) after the tests passed. A lost answer whose retry is refused is judged by
 * reading the deployment back (control.ts): traffic moving is success. The ready wait running out while
 * the tests ran gets its own verdict and the rollback CodeDeploy started is followed; another final state
 * is left for following to report (its failed event and diagnostics); a deployment still in Ready fails
 * the gate with what CodeDeploy shows.
 */
async function rerouteAfterTests(ctx: GateContext): Promise<void> {
  const { rt, clients, record } = ctx;
  try {
    const result = await continueDeployment(clients.codedeploy, rt.clock, record.deploymentId, 'READY_WAIT');
    if (result.note) rt.info(result.note);
  } catch (error) {
    if (!(error instanceof SteeringRefused)) throw error;
    if (error.readyWaitExpired) {
      const text = `The ready wait expired while the tests ran; CodeDeploy stopped deployment ${record.deploymentId}.`;
      setVerdict(record, 'stopped', text);
      rt.error(`${text} ${error.message}`, { title: 'Test-traffic gate: the ready wait expired' });
      await findAndFollowRollback(ctx);
      throw new DeploymentError(text, { reported: true });
    }
    if (error.final) {
      rt.warning(error.message);
      return;
    }
    setVerdict(record, 'failed', `Test-traffic gate passed but traffic was not rerouted: ${error.message}`);
    rt.error(record.verdictText ?? error.message, { title: 'ContinueDeployment failed' });
    await rollbackOnGivingUp(ctx, 'production traffic could not be rerouted');
    throw new DeploymentError(record.verdictText ?? error.message, { reported: true });
  }
}
