/**
 * Issue #9 part 6: one account, many deployments. Several jobs deploy at once against one emulator whose
 * account-wide token bucket throttles CodeDeploy reads; every deployment must end with its true verdict
 * (no spurious failure), and each job's reads must stay bounded. How soon each verdict comes is a
 * benchmark row (bench/run.ts), not a timed test.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { CodeDeployClient, GetDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { runAction } from '../../scripts/action-runner.js';
import { appSpecYaml, githubTrustPolicy } from '../../emulator/scenario.js';

const JOBS = 5;
/** a fifth of what the jobs would read unthrottled (about 15 a minute each) */
const LIMIT_PER_MINUTE = 15;

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
});

const isRead = (action: string): boolean => /^(Get|List|BatchGet)/.test(action);

/** An emulator whose account trusts this repository's jobs, and the role they assume. */
async function account(): Promise<{ emu: Emulator; roleArn: string }> {
  const emu = (emulator = await startEmulator({ clockScale: 10, requireKnownCredentials: true }));
  const role = emu.seed.role({
    name: 'deploy',
    trustPolicy: githubTrustPolicy(emu.accountId, 'repo:acme/web:*'),
  });
  emu.oidc.setClaims({ repository: 'acme/web', sub: 'repo:acme/web:ref:refs/heads/main' });
  return { emu, roleArn: role.arn };
}

/** One job deploying `s` to `succeeded`, with its AfterAllowTestTraffic hook if given. */
function deployJob(
  emu: Emulator,
  roleArn: string,
  s: ReturnType<Emulator['seed']['blueGreenService']>,
  hook: string | undefined,
  timeoutMs: number,
): ReturnType<typeof runAction> {
  return runAction({
    env: emu.env(),
    inputs: {
      'aws-region': emu.region,
      'role-to-assume': roleArn,
      cluster: s.cluster,
      service: s.service,
      'task-definition-arn': s.taskDefinitionArn,
      'codedeploy-appspec': 'appspec.yaml',
      'wait-until': 'succeeded',
    },
    files: {
      'appspec.yaml': appSpecYaml(
        s.containerName,
        s.containerPort,
        hook ? { AfterAllowTestTraffic: hook } : {},
      ),
    },
    timeoutMs,
  });
}

describe('one account, many deployments, CodeDeploy throttling reads', () => {
  it('every job reaches its verdict with no spurious failure and keeps its reads per minute bounded', async () => {
    const { emu, roleArn } = await account();
    const services = Array.from({ length: JOBS }, (_, i) => {
      emu.seed.lambda(`smoke-${i}`, { delayMs: 10_000 + i * 5000 });
      return emu.seed.blueGreenService({
        cluster: 'prod',
        service: `svc-${i}`,
        family: `svc-${i}`,
        deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce',
        terminationWaitMinutes: 0,
      });
    });
    emu.faults.set({ rateLimit: { perMinute: LIMIT_PER_MINUTE, burst: LIMIT_PER_MINUTE, scope: 'reads' } });

    const results = await Promise.all(
      services.map((s, i) => deployJob(emu, roleArn, s, `smoke-${i}`, 150_000)),
    );
    const limits = emu.rateLimit.stats();
    emu.faults.set({ rateLimit: undefined });

    // no spurious failure: every job tells the success CodeDeploy reached
    for (const r of results) {
      expect(r.exitCode).toBe(0);
      expect(r.outputs['deployment-status']).toBe('Succeeded');
    }
    // the limit did bite, and the watchers told it as a passing fault, not an error
    expect(limits.throttled).toBeGreaterThan(0);
    expect(results.some((r) => /Rate exceeded — passing AWS fault/.test(r.stdout))).toBe(true);

    const env = emu.env();
    const client = new CodeDeployClient({
      region: emu.region,
      endpoint: emu.url,
      credentials: {
        accessKeyId: env.AWS_ACCESS_KEY_ID as string,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
      },
    });
    const creates = emu.calls.filter((c) => c.action === 'CreateDeployment' && c.status === 200);
    expect(creates).toHaveLength(JOBS);
    for (const r of results) {
      const id = r.outputs['codedeploy-deployment-id'] as string;
      const info = (await client.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo;
      const createdAt = info?.createTime?.getTime() as number;
      const completedAt = info?.completeTime?.getTime() as number;
      // the job is its access key: the one whose CreateDeployment came at the deployment's createTime
      const create = creates.reduce((best, c) =>
        Math.abs(c.at - createdAt) < Math.abs(best.at - createdAt) ? c : best,
      );
      const own = emu.calls.filter((c) => c.accessKeyId === create.accessKeyId);
      const seen = own.find(
        (c) =>
          (c.action === 'GetDeployment' || c.action === 'GetDeploymentTarget') &&
          c.status === 200 &&
          c.at >= completedAt,
      );
      expect(seen).toBeDefined();
      // How soon the verdict comes after Succeeded is a speed, measured by `npm run bench` (its rows for
      // deployments sharing a throttled account; docs/benchmarks.md), not here: on a loaded machine the
      // emulator's scaled clock runs on while the job waits for a core.
      // reads per minute over the deployment's life, throttled ones included
      const reads = own.filter(
        (c) =>
          c.service === 'codedeploy' && isRead(c.action) && c.at >= createdAt && c.at <= (seen?.at as number),
      );
      const minutes = Math.max(1, ((seen?.at as number) - createdAt) / 60_000);
      expect(reads.length / minutes).toBeLessThanOrEqual(20);
    }
  }, 180_000);
});

describe('CodeDeploy throttling GetDeploymentTarget on every call', () => {
  it('the verdict still comes from the deployment’s status, and the log and the summary say the last events were not read', async () => {
    const { emu, roleArn } = await account();
    const s = emu.seed.blueGreenService({
      deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce',
      terminationWaitMinutes: 0,
    });
    emu.faults.set({ throttleRate: 1, only: { service: 'codedeploy', actions: ['GetDeploymentTarget'] } });
    const result = await deployJob(emu, roleArn, s, undefined, 10 * 60_000);
    emu.faults.set({ throttleRate: 0, only: undefined });
    expect(result.exitCode).toBe(0);
    expect(result.outputs['deployment-status']).toBe('Succeeded');
    const notRead =
      'The last lifecycle events were not read: AWS throttled the read after CodeDeploy reported the deployment succeeded.';
    expect(result.stdout).toContain(notRead);
    expect(result.summary).toContain('The lifecycle table shows the events as last read.');
    // every target read was refused, and none was served
    const targetReads = emu.calls.filter((c) => c.action === 'GetDeploymentTarget');
    expect(targetReads.length).toBeGreaterThan(0);
    expect(targetReads.every((c) => c.error === 'ThrottlingException')).toBe(true);
  }, 600_000);
});
