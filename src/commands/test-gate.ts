/**
 * The test-traffic gate, for every engine: while the deployment waits with test traffic on the new revision
 * and production traffic untouched (CodeDeploy: the replacement held in Ready; ECS: a pause hook at
 * POST_TEST_TRAFFIC_SHIFT — the engine's GatePoint says where and what passing does), run the user's
 * command against it; its exit code decides between letting production traffic move and rolling back.
 * The command ends when it exits; its process group is ended with it, on a timeout and on a cancel.
 */
import { spawn } from 'node:child_process';
import type { Clock } from '../action/clock.js';
import type { Runtime } from '../action/runtime.js';
import type { DeployInputs } from '../action/inputs.js';
import { DeploymentError } from '../action/errors.js';
import type { GatePoint } from '../engine/engine.js';
import { setVerdict, type DeploymentRecord } from '../record/record.js';
import { testCommandEnv, testCommandFiles } from './test-command-env.js';
import { cancelled, rollbackOnGivingUp, named, namedInSentence, type Follow } from './follow.js';

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
 * The gate itself: checks that the deployment really waits where the gate runs (else the gate fails and
 * rollback-on-failure applies), runs test-command, then lets the deployment go on (pass) or stops it with
 * rollback (fail, timeout). Throws DeploymentError unless traffic may go on to production.
 */
export async function runGate(
  f: Follow,
  gate: GatePoint | undefined,
  inputs: Pick<DeployInputs, 'testCommand' | 'testTimeoutMinutes'>,
  observation: unknown,
): Promise<void> {
  const { follower } = f;
  const { rt } = f;
  const { record } = follower;
  const check = gate
    ? await gate.check(observation)
    : {
        ok: false as const,
        text: `${named(f)} has no point where test-command can gate it.`,
        reason: 'test-command could not gate it',
      };
  if (!check.ok) {
    // Production traffic is moving without the tests having run: that is the gate failing.
    setVerdict(record, 'failed', check.text);
    rt.error(check.text, { title: 'Test-traffic gate could not run' });
    await rollbackOnGivingUp(f, check.reason);
    throw new DeploymentError(check.text, { reported: true });
  }
  if (check.warning) rt.warning(check.warning);
  await runGateCommand(
    rt,
    record,
    {
      command: inputs.testCommand as string,
      env: check.env,
      listenerArn: check.listenerArn,
      testUrl: check.testUrl,
      timeoutMinutes: inputs.testTimeoutMinutes,
    },
    {
      cancelled: () => cancelled(f, observation),
      passed: async () => {
        const passed = await (gate as GatePoint).pass();
        if (passed.ok) return;
        setVerdict(record, passed.verdict, passed.text);
        rt.error(`${passed.text}${passed.then === 'follow-undoing' ? ` ${passed.reason}` : ''}`, {
          title: passed.title,
        });
        if (passed.then === 'follow-undoing') await follower.followUndoing();
        else await rollbackOnGivingUp(f, passed.reason);
        throw new DeploymentError(record.verdictText ?? passed.text, { reported: true });
      },
      failed: async (why) => {
        const stopped = await follower.stopAndFollowBack(`because test-command ${why}`, true);
        const text = `Test-traffic gate failed (test-command ${why}); ${namedInSentence(f)} ${stopped ? 'stopped and rolled back' : 'could not be stopped'}.`;
        setVerdict(record, 'failed', text);
        return text;
      },
    },
  );
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
