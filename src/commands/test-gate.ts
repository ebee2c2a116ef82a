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
import type { DeploymentGroupInfo, DeploymentInfo } from '@aws-sdk/client-codedeploy';
import type { Clock } from './clock.js';

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
}

export interface TestRunOptions {
  command: string;
  env: Record<string, string>;
  timeoutMs: number;
  clock: Clock;
  signal?: AbortSignal;
  /** where the command's output goes (the step log) */
  write(chunk: string): void;
  cwd?: string;
}

/**
 * Runs the command with bash (`-eo pipefail`, like a `shell: bash` step), streaming its output, in its
 * own process group so a timeout or a cancel ends the whole tree.
 */
export function runTestCommand(options: TestRunOptions): Promise<TestRunResult> {
  const started = options.clock.now();
  // Cancelled before it began: never start the command.
  if (options.signal?.aborted) return Promise.resolve({ outcome: 'cancelled', durationMs: 0 });
  return new Promise((resolve) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', options.command], {
      env: { ...process.env, ...options.env },
      cwd: options.cwd ?? process.env.GITHUB_WORKSPACE ?? process.cwd(),
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
      if (ending) resolve({ outcome: ending, exitCode: code ?? undefined, durationMs });
      else resolve({ outcome: code === 0 ? 'passed' : 'failed', exitCode: code ?? undefined, durationMs });
    };
    child.on('error', () => finish(127));
    child.on('close', (code) => finish(code));
  });
}
