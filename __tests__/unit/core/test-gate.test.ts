import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { runTestCommand } from '../../../src/commands/test-gate.js';
import { resolveTestListenerUrl } from '../../../src/aws/elbv2-reads.js';
import { testListenerArn } from '../../../src/engines/codedeploy/deploy.js';
import { ACTION_ONLY_VARIABLES, testCommandEnv } from '../../../src/commands/test-command-env.js';
import { virtualClock } from '../../helpers/fake-runtime.js';

const elb = mockClient(ElasticLoadBalancingV2Client);
afterEach(() => {
  elb.reset();
  jest.useRealTimers();
});

const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/web/abc/test';

function run(
  command: string,
  extra: { signal?: AbortSignal; timeoutMs?: number; env?: Record<string, string> } = {},
) {
  const output: string[] = [];
  const promise = runTestCommand({
    command,
    env: extra.env ?? {},
    timeoutMs: extra.timeoutMs ?? 60_000,
    clock: virtualClock(),
    signal: extra.signal,
    write: (chunk) => output.push(chunk),
    cwd: tmpdir(),
  });
  return { promise, output };
}

describe('runTestCommand', () => {
  it('passes on exit 0 and streams stdout and stderr with the env it was given', async () => {
    const { promise, output } = run('echo "url=$TEST_LISTENER_URL"; echo oops >&2', {
      env: { TEST_LISTENER_URL: 'http://lb:8080' },
    });
    const result = await promise;
    expect(result.outcome).toBe('passed');
    expect(result.exitCode).toBe(0);
    expect(output.join('')).toContain('url=http://lb:8080');
    expect(output.join('')).toContain('oops');
  });

  it('fails with the exit code, and with pipefail a failing pipe stage fails', async () => {
    expect(await run('exit 3').promise).toMatchObject({ outcome: 'failed', exitCode: 3 });
    expect(await run('false | cat').promise).toMatchObject({ outcome: 'failed', exitCode: 1 });
  });

  it('returns cancelled at once, without starting the command, when the run is already cancelled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gate-'));
    const marker = join(dir, 'ran');
    const controller = new AbortController();
    controller.abort();
    const result = await run(`touch '${marker}'`, { signal: controller.signal }).promise;
    expect(result.outcome).toBe('cancelled');
    expect(existsSync(marker)).toBe(false);
  });

  it('ends the command as cancelled when the run is cancelled while it runs', async () => {
    const controller = new AbortController();
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const output: string[] = [];
    const promise = runTestCommand({
      command: 'echo started; sleep 30',
      env: {},
      timeoutMs: 3_600_000,
      clock: virtualClock(),
      signal: controller.signal,
      write: (chunk) => {
        output.push(chunk);
        if (chunk.includes('started')) started();
      },
      cwd: tmpdir(),
    });
    await running;
    controller.abort();
    const result = await promise;
    expect(result.outcome).toBe('cancelled');
  });

  it('ends the command as timeout when its time is up', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const promise = runTestCommand({
      command: 'echo started; sleep 30',
      env: {},
      timeoutMs: 120_000,
      clock: virtualClock(),
      write: (chunk) => {
        if (chunk.includes('started')) started();
      },
      cwd: tmpdir(),
    });
    await running;
    jest.advanceTimersByTime(120_000);
    const result = await promise;
    expect(result.outcome).toBe('timeout');
  });
});

describe('runTestCommand ends with the command, not with its pipes', () => {
  function alive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  async function gone(pid: number, withinMs = 8000): Promise<boolean> {
    const until = Date.now() + withinMs;
    while (alive(pid)) {
      if (Date.now() > until) return false;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return true;
  }
  const pidFiles: string[] = [];
  afterEach(() => {
    // whatever a test left running (a setsid child cannot be ended by its group)
    for (const file of pidFiles.splice(0)) {
      const pid = existsSync(file) ? Number(readFileSync(file, 'utf8')) : NaN;
      if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
  function pidFile(): string {
    const file = join(mkdtempSync(join(tmpdir(), 'gate-pid-')), 'pid');
    pidFiles.push(file);
    return file;
  }

  it('passes when the command exits 0, though a background process still holds its output; the process group is ended', async () => {
    const file = pidFile();
    const started = Date.now();
    const { promise, output } = run(`sleep 300 & echo $! > '${file}'; echo tests passed`, {
      timeoutMs: 20_000,
    });
    const result = await promise;
    expect(result).toMatchObject({ outcome: 'passed', exitCode: 0 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(output.join('')).toContain('tests passed');
    // the background sleep was in the command's process group: ended with it
    expect(await gone(Number(readFileSync(file, 'utf8')))).toBe(true);
  });

  it('what the command printed right before it exited is still shown', async () => {
    const { promise, output } = run(`for i in $(seq 1 2000); do echo "line $i"; done; echo last line`);
    expect((await promise).outcome).toBe('passed');
    expect(output.join('')).toContain('line 2000\nlast line\n');
  });

  it('a timeout ends the gate even when a setsid child escaped the process group and holds the output', async () => {
    const file = pidFile();
    const started = Date.now();
    const { promise } = run(`setsid bash -c 'echo $$ > "${file}"; exec sleep 300' & sleep 300`, {
      timeoutMs: 1500,
    });
    const result = await promise;
    expect(result.outcome).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);

  it('decodes UTF-8 across chunks: a character split between two writes is shown whole', async () => {
    const { promise, output } = run(
      `printf 'caf\\xc3'; sleep 0.3; printf '\\xa9 \\xe2\\x9c'; sleep 0.3; printf '\\x94\\n'`,
    );
    expect((await promise).outcome).toBe('passed');
    expect(output.join('')).toBe('café ✔\n');
  });
});

describe('test listener', () => {
  it('reads the test listener ARN of the first target group pair', () => {
    expect(
      testListenerArn({
        loadBalancerInfo: { targetGroupPairInfoList: [{ testTrafficRoute: { listenerArns: [LISTENER] } }] },
      }),
    ).toBe(LISTENER);
    expect(testListenerArn({ loadBalancerInfo: { targetGroupPairInfoList: [{}] } })).toBeUndefined();
  });

  it('builds the URL from the listener port, protocol and load balancer DNS name', async () => {
    elb.on(DescribeListenersCommand).resolves({
      Listeners: [{ LoadBalancerArn: 'arn:lb', Port: 8080, Protocol: 'HTTP' }],
    });
    elb
      .on(DescribeLoadBalancersCommand)
      .resolves({ LoadBalancers: [{ DNSName: 'web-123.elb.amazonaws.com' }] });
    const client = new ElasticLoadBalancingV2Client({ region: 'us-east-1' });
    expect(await resolveTestListenerUrl(client, LISTENER)).toBe('http://web-123.elb.amazonaws.com:8080');
    elb.on(DescribeListenersCommand).resolves({
      Listeners: [{ LoadBalancerArn: 'arn:lb', Port: 443, Protocol: 'HTTPS' }],
    });
    expect(await resolveTestListenerUrl(client, LISTENER)).toBe('https://web-123.elb.amazonaws.com');
    expect(elb.commandCalls(DescribeLoadBalancersCommand)[0]?.args[0].input).toEqual({
      LoadBalancerArns: ['arn:lb'],
    });
  });

  it('gives undefined when the listener has no load balancer', async () => {
    elb.on(DescribeListenersCommand).resolves({ Listeners: [] });
    const client = new ElasticLoadBalancingV2Client({ region: 'us-east-1' });
    expect(await resolveTestListenerUrl(client, LISTENER)).toBeUndefined();
    expect(elb.commandCalls(DescribeLoadBalancersCommand)).toHaveLength(0);
  });
});

describe("what the test command receives (a run: step's rights, not the action's)", () => {
  function actionStep(): { env: NodeJS.ProcessEnv; files: Record<string, string> } {
    const dir = mkdtempSync(join(tmpdir(), 'action-step-'));
    const files: Record<string, string> = {};
    for (const name of [
      'GITHUB_OUTPUT',
      'GITHUB_STATE',
      'GITHUB_ENV',
      'GITHUB_PATH',
      'GITHUB_STEP_SUMMARY',
    ]) {
      files[name] = join(dir, name);
      writeFileSync(files[name] as string, `${name} of the action\n`);
    }
    return {
      files,
      env: {
        PATH: process.env.PATH,
        RUNNER_TEMP: dir,
        GITHUB_RUN_ID: '42',
        ACTIONS_RUNTIME_TOKEN: 'runtime-token',
        ACTIONS_RUNTIME_URL: 'https://runtime',
        ACTIONS_CACHE_URL: 'https://cache',
        ACTIONS_RESULTS_URL: 'https://results',
        ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token',
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'id-request',
        INPUT_ROLE_TO_ASSUME: 'arn:aws:iam::111122223333:role/deploy',
        STATE_deploymentId: 'd-ACTION0001',
        AWS_REGION: 'us-east-1',
        ...files,
      },
    };
  }

  it('testCommandEnv keeps the job env, drops what only the action gets, and points the file commands elsewhere', () => {
    const { env } = actionStep();
    const own = { GITHUB_OUTPUT: '/own/output', GITHUB_STATE: '/own/state' };
    const result = testCommandEnv(env, own, { CODEDEPLOY_DEPLOYMENT_ID: 'd-1' });
    for (const name of [...ACTION_ONLY_VARIABLES, 'INPUT_ROLE_TO_ASSUME', 'STATE_deploymentId'])
      expect(result[name]).toBeUndefined();
    expect(result).toMatchObject({
      GITHUB_RUN_ID: '42',
      AWS_REGION: 'us-east-1',
      GITHUB_OUTPUT: '/own/output',
      GITHUB_STATE: '/own/state',
      CODEDEPLOY_DEPLOYMENT_ID: 'd-1',
    });
  });

  it('withholds the OIDC request variables (no way to mint the job token and assume the deploy role) unless test-command-oidc says so', () => {
    const { env } = actionStep();
    const withheld = testCommandEnv(env, {}, {});
    expect(withheld.ACTIONS_ID_TOKEN_REQUEST_URL).toBeUndefined();
    expect(withheld.ACTIONS_ID_TOKEN_REQUEST_TOKEN).toBeUndefined();
    const given = testCommandEnv(env, {}, {}, { oidc: true });
    expect(given).toMatchObject({
      ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'id-request',
    });
  });

  it("the command's writes to its file commands never reach the action's files, and are named", async () => {
    const { env, files } = actionStep();
    const output: string[] = [];
    const result = await runTestCommand({
      command: [
        'env',
        'echo "deploymentId=d-EVIL00001" >> "$GITHUB_STATE"',
        'echo "codedeploy-deployment-id=d-EVIL00001" >> "$GITHUB_OUTPUT"',
        'echo "X=1" >> "$GITHUB_ENV"',
      ].join('\n'),
      env: { CODEDEPLOY_DEPLOYMENT_ID: 'd-1' },
      baseEnv: env,
      timeoutMs: 60_000,
      clock: virtualClock(),
      write: (chunk) => output.push(chunk),
      cwd: tmpdir(),
    });
    expect(result.outcome).toBe('passed');
    const printed = output.join('');
    expect(printed).not.toContain('runtime-token');
    expect(printed).not.toMatch(/^INPUT_/m);
    expect(printed).not.toMatch(/^STATE_/m);
    expect(printed).not.toContain('ACTIONS_ID_TOKEN_REQUEST');
    for (const [name, file] of Object.entries(files)) {
      expect(readFileSync(file, 'utf8')).toBe(`${name} of the action\n`);
      expect(printed).not.toContain(`${name}=${file}\n`);
    }
    expect(result.ignoredFiles).toEqual(['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_ENV']);
    // its own files are deleted once it ends
    const own = /^GITHUB_STATE=(.+)$/m.exec(printed)?.[1] as string;
    expect(existsSync(own)).toBe(false);
  });
});
