/**
 * A Runtime for unit tests: inputs, outputs, state, log and summary in memory, a virtual clock whose
 * sleep advances time at once, a cancel signal the test can fire, and AWS clients that aws-sdk-client-mock
 * intercepts (mockClient(ECSClient) etc. patch the prototype, so every client made here is mocked).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { STSClient } from '@aws-sdk/client-sts';
import type { Clock } from '../../src/action/clock.js';

import type { AwsClientOptions, AwsClients, AwsRuntime } from '../../src/aws/clients.js';

export const START_MS = Date.UTC(2026, 0, 15, 12, 0, 0);

export interface VirtualClock extends Clock {
  /** every sleep asked for, in ms, in order */
  readonly sleeps: number[];
  advance(ms: number): void;
  set(ms: number): void;
  /** called after each sleep has advanced time (to change the world as time passes) */
  onSleep?: (now: number) => void;
}

/** A clock that never waits: sleep(ms) moves time forward by ms (or stops at an abort). */
export function virtualClock(start = START_MS): VirtualClock {
  let now = start;
  const clock: VirtualClock = {
    scale: 1,
    sleeps: [],
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    set: (ms) => {
      now = ms;
    },
    sleep: async (ms, signal) => {
      clock.sleeps.push(ms);
      if (signal?.aborted) return;
      if (ms > 0) now += ms;
      clock.onSleep?.(now);
      // let other promise chains run, as a real timer would
      await Promise.resolve();
    },
  };
  return clock;
}

export interface LogLine {
  level: 'info' | 'warning' | 'error' | 'notice' | 'group' | 'endgroup';
  message: string;
  title?: string;
}

export interface FakeRuntime extends AwsRuntime {
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  state: Record<string, string>;
  lines: LogLine[];
  summaries: string[];
  secrets: string[];
  written: string[];
  failed: string[];
  clock: VirtualClock;
  controller: AbortController;
  clientOptions: AwsClientOptions[];
  idTokenAudiences: string[];
  /** every log line's message joined with newlines */
  logText(level?: LogLine['level']): string;
}

export interface FakeRuntimeOptions {
  inputs?: Record<string, string>;
  state?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  idToken?: string | (() => Promise<string>);
}

export function fakeRuntime(options: FakeRuntimeOptions = {}): FakeRuntime {
  const controller = new AbortController();
  const lines: LogLine[] = [];
  const rt: FakeRuntime = {
    inputs: { ...(options.inputs ?? {}) },
    outputs: {},
    state: { ...(options.state ?? {}) },
    lines,
    summaries: [],
    secrets: [],
    written: [],
    failed: [],
    clock: virtualClock(),
    controller,
    clientOptions: [],
    idTokenAudiences: [],
    signal: controller.signal,
    env: { ...(options.env ?? {}) },
    readInput: (name) => (rt.inputs[name] ?? '').trim(),
    setOutput: (name, value) => {
      rt.outputs[name] = value;
    },
    failQuietly: (message) => {
      rt.failed.push(message);
      rt.lines.push({ level: 'info', message });
    },
    setFailed: (message) => {
      rt.failed.push(message);
    },
    setSecret: (secret) => {
      rt.secrets.push(secret);
    },
    getIDToken: async (audience) => {
      rt.idTokenAudiences.push(audience);
      const token = options.idToken ?? 'header.e30.signature';
      return typeof token === 'string' ? token : token();
    },
    writeSummary: async (markdown) => {
      rt.summaries.push(markdown);
    },
    write: (chunk) => {
      rt.written.push(chunk);
    },
    info: (message) => void lines.push({ level: 'info', message }),
    warning: (message) => void lines.push({ level: 'warning', message }),
    error: (message, properties) => void lines.push({ level: 'error', message, title: properties?.title }),
    notice: (message, properties) => void lines.push({ level: 'notice', message, title: properties?.title }),
    startGroup: (name) => void lines.push({ level: 'group', message: name }),
    endGroup: () => void lines.push({ level: 'endgroup', message: '' }),
    saveState: (name, value) => {
      rt.state[name] = value;
    },
    getState: (name) => rt.state[name] ?? '',
    makeClients: (clientOptions): AwsClients => {
      rt.clientOptions.push(clientOptions);
      const config = { region: clientOptions.region, credentials: testCredentials, maxAttempts: 1 };
      let elbv2: ElasticLoadBalancingV2Client | undefined;
      let cloudwatch: CloudWatchClient | undefined;
      return {
        ecs: new ECSClient(config),
        codedeploy: new CodeDeployClient(config),
        elbv2: () => (elbv2 ??= new ElasticLoadBalancingV2Client(config)),
        cloudwatch: () => (cloudwatch ??= new CloudWatchClient(config)),
      };
    },
    stsClient: (region) => new STSClient({ region, credentials: testCredentials, maxAttempts: 1 }),
    logText: (level) =>
      lines
        .filter((line) => level === undefined || line.level === level)
        .map((line) => line.message)
        .join('\n'),
  };
  return rt;
}

const testCredentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' };

/** An AWS SDK-shaped error (name, $fault, $metadata) as the clients throw them. */
export function awsError(
  name: string,
  message = name,
  extra: { httpStatusCode?: number; fault?: 'client' | 'server' } = {},
): Error {
  const error = new Error(message) as Error & {
    $fault: 'client' | 'server';
    $metadata: { httpStatusCode?: number };
  };
  error.name = name;
  error.$fault = extra.fault ?? ((extra.httpStatusCode ?? 400) >= 500 ? 'server' : 'client');
  error.$metadata = { httpStatusCode: extra.httpStatusCode ?? 400 };
  return error;
}

export function throttling(): Error {
  return awsError('ThrottlingException', 'Rate exceeded', { httpStatusCode: 400 });
}

/** Runs a command and returns the error it failed with (undefined when it succeeded). */
export function errorOf(promise: Promise<unknown>): Promise<Error | undefined> {
  return promise.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
}
