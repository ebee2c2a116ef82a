import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  ContinueDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentTargetCommand,
  StopDeploymentCommand,
  type DeploymentInfo,
  type ECSTarget,
} from '@aws-sdk/client-codedeploy';
import { ContinueServiceDeploymentCommand, DescribeServiceDeploymentsCommand } from '@aws-sdk/client-ecs';
import { runPromote } from '../../../src/commands/promote.js';
import { DeploymentError, InputError } from '../../../src/action/errors.js';
import { DEPLOYMENT_ID, deployment, events, target } from '../../helpers/codedeploy-fixtures.js';
import { awsError, fakeRuntime, type FakeRuntime, errorOf } from '../../helpers/fake-runtime.js';
import { cd, ecs, setUpWorld, restoreWorkspaceAfterAll } from '../../helpers/aws-world.js';

restoreWorkspaceAfterAll();

beforeEach(() => {
  setUpWorld();
});

interface Step {
  /** ms after ContinueDeployment */
  at: number;
  deployment: DeploymentInfo;
  target?: ECSTarget;
}

/** The deployment is `before` until ContinueDeployment, then moves through `after` on the runtime's clock. */
function timeline(rt: FakeRuntime, before: Omit<Step, 'at'>, after: Step[] = []): void {
  let continuedAt: number | undefined;
  cd.on(ContinueDeploymentCommand).callsFake(() => {
    continuedAt = rt.clock.now();
    return {};
  });
  const current = (): Omit<Step, 'at'> => {
    if (continuedAt === undefined || after.length === 0) return before;
    const since = rt.clock.now() - continuedAt;
    return [...after].reverse().find((s) => s.at <= since) ?? (after[0] as Step);
  };
  cd.on(GetDeploymentCommand).callsFake(() => ({ deploymentInfo: current().deployment }));
  cd.on(GetDeploymentTargetCommand).callsFake(() => {
    const t = current().target;
    if (!t) throw awsError('DeploymentNotStartedException', 'not started');
    return { deploymentTarget: { ecsTarget: t } };
  });
}

const inputs = { 'deployment-id': DEPLOYMENT_ID, 'aws-region': 'us-east-1' };

const ready = { deployment: deployment('Ready'), target: target('Ready', events(5, 'Pending')) };
const terminationWait = { deployment: deployment('InProgress'), target: target('Succeeded', events(8)) };
const rerouted: Step[] = [
  { at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(6)) },
  { at: 10_000, deployment: deployment('InProgress'), target: target('Succeeded', events(8)) },
  { at: 20_000, deployment: deployment('Succeeded'), target: target('Succeeded', events(8)) },
];

function run(rt: FakeRuntime): Promise<Error | undefined> {
  return errorOf(runPromote(rt));
}

describe('runPromote', () => {
  it('Ready: reroutes with ContinueDeployment READY_WAIT and follows to wait-until', async () => {
    const rt = fakeRuntime({ inputs: { ...inputs, 'wait-until': 'succeeded' } });
    timeline(rt, ready, rerouted);
    expect(await run(rt)).toBeUndefined();
    expect(cd.commandCalls(ContinueDeploymentCommand).map((c) => c.args[0].input)).toEqual([
      { deploymentId: DEPLOYMENT_ID, deploymentWaitType: 'READY_WAIT' },
    ]);
    expect(rt.outputs['deployment-status']).toBe('Succeeded');
    expect(rt.outputs['codedeploy-deployment-id']).toBe(DEPLOYMENT_ID);
    expect(rt.logText()).toContain(`Deployment ${DEPLOYMENT_ID} succeeded.`);
    expect(rt.summaries).toHaveLength(1);
    expect(rt.summaries[0]).toContain('Promoted: production traffic rerouted on request.');
  });

  it('tells where the deployment stood in one line, and only what happens after the promote as events', async () => {
    const rt = fakeRuntime({ inputs: { ...inputs, 'wait-until': 'succeeded' } });
    timeline(rt, ready, rerouted);
    expect(await run(rt)).toBeUndefined();
    const log = rt.logText();
    expect(log).toContain('Before the promote: status Ready');
    // events over before the promote are in the summary, not replayed in the log as if they happened now
    expect(log).not.toMatch(/▶ (BeforeInstall|Install|AfterInstall|AllowTestTraffic)\b/);
    expect(log).toMatch(/▶ AllowTraffic/);
    expect(rt.summaries[0]).toMatch(/BeforeInstall \| ✅ Succeeded/);
  });

  it("wait-until 'ready' is refused: a promoted deployment is past it", async () => {
    const rt = fakeRuntime({ inputs: { ...inputs, 'wait-until': 'ready' } });
    timeline(rt, ready, rerouted);
    const error = await run(rt);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toContain("input 'wait-until': is 'ready'");
    expect(cd.commandCalls(ContinueDeploymentCommand)).toHaveLength(0);
  });

  it('Ready with wait-until traffic-shifted stops following once traffic is on the replacement', async () => {
    const rt = fakeRuntime({ inputs: { ...inputs, 'wait-until': 'traffic-shifted' } });
    timeline(rt, ready, rerouted);
    expect(await run(rt)).toBeUndefined();
    expect(rt.outputs['deployment-status']).toBe('InProgress');
    expect(rt.logText()).toContain('reached traffic-shifted');
  });

  it('termination wait: ends it with ContinueDeployment TERMINATION_WAIT', async () => {
    const rt = fakeRuntime({ inputs: { ...inputs, 'wait-until': 'succeeded' } });
    timeline(rt, terminationWait, [
      { at: 0, ...terminationWait },
      { at: 15_000, deployment: deployment('Succeeded'), target: target('Succeeded', events(8)) },
    ]);
    expect(await run(rt)).toBeUndefined();
    expect(cd.commandCalls(ContinueDeploymentCommand).map((c) => c.args[0].input)).toEqual([
      { deploymentId: DEPLOYMENT_ID, deploymentWaitType: 'TERMINATION_WAIT' },
    ]);
    expect(rt.outputs['deployment-status']).toBe('Succeeded');
    expect(rt.summaries[0]).toContain('Promoted: termination wait ended on request.');
  });

  it('an already succeeded deployment is reported, not continued', async () => {
    const rt = fakeRuntime({ inputs });
    timeline(rt, { deployment: deployment('Succeeded'), target: target('Succeeded', events(8)) });
    expect(await run(rt)).toBeUndefined();
    expect(cd.commandCalls(ContinueDeploymentCommand)).toHaveLength(0);
    expect(rt.outputs['deployment-status']).toBe('Succeeded');
    expect(rt.logText()).toContain('already succeeded; nothing to promote');
  });

  it.each(['Failed', 'Stopped'])(
    'a deployment already %s is reported as a failure seen live (its failed event and diagnostics), not continued',
    async (status) => {
      const rt = fakeRuntime({ inputs });
      const failedEvents = events(4, 'Failed');
      failedEvents[4] = {
        ...failedEvents[4],
        diagnostics: {
          errorCode: 'ScriptFailed',
          message: 'smoke test: HTTP 500',
          logTail: 'GET /health 500',
        },
      };
      timeline(rt, {
        deployment: deployment(status, { errorInformation: { code: 'HOOK_EXECUTION_FAILURE' } }),
        target: target('Failed', failedEvents),
      });
      const error = await run(rt);
      expect(error).toBeInstanceOf(DeploymentError);
      expect(cd.commandCalls(ContinueDeploymentCommand)).toHaveLength(0);
      const annotation = rt.lines.find((l) => l.level === 'error');
      expect(annotation?.message).toContain('Lifecycle event AfterAllowTestTraffic failed');
      expect(annotation?.message).toContain('smoke test: HTTP 500');
      expect(rt.logText()).toContain('GET /health 500');
      expect(rt.outputs['deployment-status']).toBe(status);
    },
  );

  it('a lost READY_WAIT answer whose retry is refused: CodeDeploy shows traffic moving, so the promote goes on', async () => {
    const rt = fakeRuntime({ inputs: { ...inputs, 'wait-until': 'succeeded' } });
    timeline(rt, ready, rerouted);
    let calls = 0;
    let continuedAt: number | undefined;
    cd.on(ContinueDeploymentCommand).callsFake(() => {
      calls++;
      // the call took effect, but its answer was lost; the retry meets a deployment past Ready
      continuedAt ??= rt.clock.now();
      throw awsError('DeploymentIsNotInReadyStateException', 'not in Ready');
    });
    const now = (): Omit<Step, 'at'> => {
      if (continuedAt === undefined) return ready;
      const since = rt.clock.now() - continuedAt;
      return [...rerouted].reverse().find((step) => step.at <= since) ?? (rerouted[0] as Step);
    };
    cd.on(GetDeploymentCommand).callsFake(() => ({ deploymentInfo: now().deployment }));
    cd.on(GetDeploymentTargetCommand).callsFake(() => ({ deploymentTarget: { ecsTarget: now().target } }));
    expect(await run(rt)).toBeUndefined();
    expect(calls).toBe(1);
    expect(rt.outputs['deployment-status']).toBe('Succeeded');
    expect(rt.logText()).toContain('the continue took effect');
  });

  it('a refused READY_WAIT with the deployment still in Ready fails, saying what CodeDeploy shows', async () => {
    const rt = fakeRuntime({ inputs: { ...inputs, 'wait-until': 'succeeded' } });
    timeline(rt, ready);
    cd.on(ContinueDeploymentCommand).rejects(awsError('AccessDeniedException', 'not allowed'));
    const error = await run(rt);
    expect(error?.message).toContain('CodeDeploy shows Ready: production traffic has not moved');
    expect(error?.message).toContain('AccessDeniedException');
  });

  it('a deployment still shifting traffic is refused, naming the event in progress', async () => {
    const rt = fakeRuntime({ inputs });
    timeline(rt, { deployment: deployment('InProgress'), target: target('InProgress', events(6)) });
    const error = await run(rt);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toContain('is InProgress (AllowTraffic in progress)');
    expect(error?.message).toContain('neither waiting in Ready');
    expect(error?.message).toContain('CodeDeploy cannot skip canary or linear intervals');
    expect(cd.commandCalls(ContinueDeploymentCommand)).toHaveLength(0);
  });

  it('a deployment whose target has not started is refused', async () => {
    const rt = fakeRuntime({ inputs });
    timeline(rt, { deployment: deployment('InProgress') });
    const error = await run(rt);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toContain(`deployment ${DEPLOYMENT_ID}: is InProgress: it is neither`);
    expect(cd.commandCalls(ContinueDeploymentCommand)).toHaveLength(0);
  });

  it('a missing deployment-id input is an input error, before any AWS call', async () => {
    const rt = fakeRuntime({ inputs: { 'aws-region': 'us-east-1' } });
    const error = await run(rt);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toContain("input 'deployment-id': is required.");
    expect(cd.calls()).toHaveLength(0);
  });

  it('an unknown deployment says it does not exist in this account and region', async () => {
    cd.on(GetDeploymentCommand).rejects(awsError('DeploymentDoesNotExistException', 'no such deployment'));
    const rt = fakeRuntime({ inputs: { ...inputs, 'deployment-id': 'd-NOPE00000' } });
    const error = await run(rt);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toContain('deployment d-NOPE00000: does not exist in this account and region.');
    expect(error?.message).toContain("Check 'deployment-id' and 'aws-region'.");
    expect(cd.commandCalls(ContinueDeploymentCommand)).toHaveLength(0);
  });

  it('a cancel while following stops the deployment with rollback (rollback-on-cancel)', async () => {
    const rt = fakeRuntime({ inputs: { ...inputs, 'wait-until': 'succeeded' } });
    timeline(rt, ready, [
      { at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(6)) },
    ]);
    cd.on(StopDeploymentCommand).resolves({ status: 'Pending' });
    rt.clock.onSleep = () => {
      if (cd.commandCalls(ContinueDeploymentCommand).length > 0) rt.controller.abort();
    };
    const error = await run(rt);
    expect(error).toBeInstanceOf(DeploymentError);
    expect(error?.message).toContain(`The run was cancelled while following ${DEPLOYMENT_ID}`);
    expect(cd.commandCalls(StopDeploymentCommand).map((c) => c.args[0].input)).toEqual([
      { deploymentId: DEPLOYMENT_ID, autoRollbackEnabled: true },
    ]);
    expect(rt.logText('warning')).toContain('Stopped d-ABCDEF123 with rollback (rollback-on-cancel).');
  });

  it('a cancel with rollback-on-cancel false leaves the deployment running', async () => {
    const rt = fakeRuntime({
      inputs: { ...inputs, 'wait-until': 'succeeded', 'rollback-on-cancel': 'false' },
    });
    timeline(rt, ready, [
      { at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(6)) },
    ]);
    rt.clock.onSleep = () => {
      if (cd.commandCalls(ContinueDeploymentCommand).length > 0) rt.controller.abort();
    };
    const error = await run(rt);
    expect(error?.message).toContain('The run was cancelled');
    expect(cd.commandCalls(StopDeploymentCommand)).toHaveLength(0);
    expect(rt.summaries[0]).toContain('rollback-on-cancel is false: the deployment carries on.');
  });
});

describe('the deployment given by deployment-id is checked before any change', () => {
  const RUN = { GITHUB_RUN_ID: '1234567890', GITHUB_RUN_ATTEMPT: '2' };

  it('refuses a CodeDeploy deployment of another service than the one given (its group serves prod/web)', async () => {
    const rt = fakeRuntime({ inputs: { ...inputs, service: 'api', cluster: 'prod' }, env: RUN });
    timeline(rt, ready, rerouted);
    const error = await run(rt);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toContain(
      `deployment ${DEPLOYMENT_ID} is a deployment of prod/web, not of prod/api`,
    );
    expect(cd.commandCalls(ContinueDeploymentCommand)).toHaveLength(0);
  });

  it('promotes it when service and cluster match', async () => {
    const rt = fakeRuntime({ inputs: { ...inputs, service: 'web', cluster: 'prod' }, env: RUN });
    timeline(rt, ready, rerouted);
    expect(await run(rt)).toBeUndefined();
    expect(cd.commandCalls(ContinueDeploymentCommand)).toHaveLength(1);
  });

  it('refuses a deployment whose run mark names another workflow run, unless require-same-run is false', async () => {
    const other = {
      deployment: deployment('Ready', { description: 'release [github-run 777/1 0a1b2c3d]' }),
      target: ready.target,
    };
    const refused = fakeRuntime({ inputs, env: RUN });
    timeline(refused, other, rerouted);
    const error = await run(refused);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toContain('was started by workflow run 777');
    expect(cd.commandCalls(ContinueDeploymentCommand)).toHaveLength(0);

    const same = fakeRuntime({ inputs, env: { ...RUN, GITHUB_RUN_ID: '777' } });
    timeline(same, other, rerouted);
    expect(await run(same)).toBeUndefined();

    const onPurpose = fakeRuntime({ inputs: { ...inputs, 'require-same-run': 'false' }, env: RUN });
    timeline(onPurpose, other, rerouted);
    expect(await run(onPurpose)).toBeUndefined();
    expect(cd.commandCalls(ContinueDeploymentCommand)).toHaveLength(2);
  });

  it('refuses an ECS service deployment of another service (its ARN names prod/api)', async () => {
    const arn = 'arn:aws:ecs:us-east-1:111122223333:service-deployment/prod/api/abc123';
    ecs.on(DescribeServiceDeploymentsCommand).resolves({
      serviceDeployments: [
        {
          serviceDeploymentArn: arn,
          status: 'IN_PROGRESS',
          lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT',
        },
      ],
    });
    const rt = fakeRuntime({
      inputs: { 'deployment-id': arn, service: 'web', cluster: 'prod', 'aws-region': 'us-east-1' },
      env: RUN,
    });
    const error = await run(rt);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toContain(`${arn} is a deployment of prod/api, not of prod/web`);
    expect(ecs.commandCalls(ContinueServiceDeploymentCommand)).toHaveLength(0);
  });
});
