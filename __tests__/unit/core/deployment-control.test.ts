import { afterEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CodeDeployClient,
  ContinueDeploymentCommand,
  GetDeploymentCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import {
  FINAL_ROLLBACK_GRACE_MS,
  SteeringRefused,
  continueDeployment,
  continueTookEffect,
  findRollbackDeployment,
  stopDeployment,
} from '../../../src/engines/codedeploy/control.js';
import { MAX_AWS_REQUESTS, withRetries } from '../../../src/aws/retry.js';
import { getDeployment, isDeploymentInFlight } from '../../../src/aws/codedeploy-reads.js';
import { MIN_ROLLBACK_SEARCH_MS, rollbackSearchMs } from '../../../src/engines/codedeploy/wait-budget.js';
import { DEPLOYMENT_ID, deployment } from '../../helpers/codedeploy-fixtures.js';
import { START_MS, awsError, throttling, virtualClock } from '../../helpers/fake-runtime.js';

const cd = mockClient(CodeDeployClient);
afterEach(() => {
  cd.reset();
});
const client = () =>
  new CodeDeployClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });

function sdkThrottling(attempts: number): Error {
  const error = throttling() as Error & { $metadata: { attempts?: number } };
  error.$metadata.attempts = attempts;
  return error;
}

describe('withRetries', () => {
  it('retries passing faults with growing pauses and returns the answer', async () => {
    const clock = virtualClock();
    let calls = 0;
    const value = await withRetries(clock, async () => {
      if (++calls < 4) throw throttling();
      return 'ok';
    });
    expect(value).toBe('ok');
    expect(calls).toBe(4);
    expect(clock.sleeps).toEqual([1000, 2000, 4000]);
  });

  it('does not retry an error that is not passing', async () => {
    let calls = 0;
    const denied = awsError('AccessDeniedException', 'no');
    await expect(
      withRetries(virtualClock(), async () => {
        calls++;
        throw denied;
      }),
    ).rejects.toBe(denied);
    expect(calls).toBe(1);
  });

  it('counts the SDK client retries so the requests in all stay bounded', async () => {
    // the clients make up to 5 attempts per call and say so in $metadata.attempts
    let calls = 0;
    await expect(
      withRetries(virtualClock(), async () => {
        calls++;
        throw sdkThrottling(5);
      }),
    ).rejects.toThrow('Rate exceeded');
    expect(calls * 5).toBeLessThanOrEqual(MAX_AWS_REQUESTS);
    expect(calls).toBe(2);
  });

  it('makes at most MAX_AWS_REQUESTS calls when the client does not retry', async () => {
    let calls = 0;
    await expect(
      withRetries(virtualClock(), async () => {
        calls++;
        throw throttling();
      }),
    ).rejects.toThrow();
    expect(calls).toBe(MAX_AWS_REQUESTS);
  });
});

describe('steering calls', () => {
  it('getDeployment returns the deployment and fails when there is none', async () => {
    cd.on(GetDeploymentCommand)
      .resolvesOnce({ deploymentInfo: deployment('Ready') })
      .resolves({});
    expect((await getDeployment(client(), virtualClock(), DEPLOYMENT_ID)).status).toBe('Ready');
    await expect(getDeployment(client(), virtualClock(), DEPLOYMENT_ID)).rejects.toThrow(
      `GetDeployment returned nothing for ${DEPLOYMENT_ID}`,
    );
  });

  it('isDeploymentInFlight is true only for non-terminal statuses', () => {
    expect(['Created', 'Queued', 'InProgress', 'Ready', 'Baking'].every(isDeploymentInFlight)).toBe(true);
    expect(['Succeeded', 'Failed', 'Stopped'].some(isDeploymentInFlight)).toBe(false);
    expect(isDeploymentInFlight(undefined)).toBe(false);
  });

  it('stopDeployment asks for rollback and reports an already finished deployment without failing', async () => {
    cd.on(StopDeploymentCommand).resolvesOnce({ status: 'Pending', statusMessage: 'stopping' });
    const result = await stopDeployment(client(), virtualClock(), DEPLOYMENT_ID, true);
    expect(result).toEqual({ stopped: true, status: 'Pending', message: 'stopping' });
    expect(cd.commandCalls(StopDeploymentCommand)[0]?.args[0].input).toEqual({
      deploymentId: DEPLOYMENT_ID,
      autoRollbackEnabled: true,
    });
    cd.on(StopDeploymentCommand).rejects(awsError('DeploymentAlreadyCompletedException', 'done'));
    expect(await stopDeployment(client(), virtualClock(), DEPLOYMENT_ID, false)).toEqual({
      stopped: false,
      message: `${DEPLOYMENT_ID} had already completed`,
    });
  });

  it('stopDeployment names the deployment, the error and what CodeDeploy shows otherwise', async () => {
    cd.on(StopDeploymentCommand).rejects(awsError('AccessDeniedException', 'not allowed'));
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: deployment('InProgress') });
    await expect(stopDeployment(client(), virtualClock(), DEPLOYMENT_ID, true)).rejects.toThrow(
      `StopDeployment ${DEPLOYMENT_ID} answered AccessDeniedException: not allowed; CodeDeploy shows InProgress.`,
    );
  });

  it('continueDeployment passes the wait type', async () => {
    cd.on(ContinueDeploymentCommand).resolves({});
    await continueDeployment(client(), virtualClock(), DEPLOYMENT_ID, 'TERMINATION_WAIT');
    expect(cd.commandCalls(ContinueDeploymentCommand)[0]?.args[0].input).toEqual({
      deploymentId: DEPLOYMENT_ID,
      deploymentWaitType: 'TERMINATION_WAIT',
    });
  });
});

describe('findRollbackDeployment', () => {
  it('waits until CodeDeploy names the rollback deployment', async () => {
    const clock = virtualClock();
    cd.on(GetDeploymentCommand).callsFake(() => ({
      deploymentInfo: deployment('Stopped', {
        rollbackInfo: clock.now() >= START_MS + 6000 ? { rollbackDeploymentId: 'd-ROLLBACK1' } : undefined,
      }),
    }));
    const found = await findRollbackDeployment(client(), clock, DEPLOYMENT_ID, 20_000);
    expect(found.rollbackDeploymentId).toBe('d-ROLLBACK1');
    expect(clock.now()).toBe(START_MS + 6000);
  });

  it('gives up after the time given when there is no rollback', async () => {
    const clock = virtualClock();
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: deployment('Failed') });
    const found = await findRollbackDeployment(client(), clock, DEPLOYMENT_ID, 10_000);
    expect(found.rollbackDeploymentId).toBeUndefined();
    expect(found.deployment.status).toBe('Failed');
    expect(clock.now() - START_MS).toBeGreaterThanOrEqual(10_000);
    expect(clock.now() - START_MS).toBeLessThan(15_000);
  });
});

describe('a steering call whose answer was lost (issue #9, part 1): the deployment is read back', () => {
  it('StopDeployment refused as already completed while CodeDeploy shows it Stopped: the stop took effect', async () => {
    cd.on(StopDeploymentCommand).rejects(awsError('DeploymentAlreadyCompletedException', 'completed'));
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: deployment('Stopped') });
    const result = await stopDeployment(client(), virtualClock(), DEPLOYMENT_ID, true);
    expect(result.stopped).toBe(true);
    expect(result.readBack).toBe(true);
    expect(result.message).toContain('the stop took effect');
  });

  it('StopDeployment of a deployment that Succeeded: nothing stopped, and the status is said', async () => {
    cd.on(StopDeploymentCommand).rejects(awsError('DeploymentAlreadyCompletedException', 'completed'));
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: deployment('Succeeded') });
    const result = await stopDeployment(client(), virtualClock(), DEPLOYMENT_ID, true);
    expect(result).toMatchObject({ stopped: false, status: 'Succeeded' });
    expect(result.message).toContain('had already completed (Succeeded)');
  });

  it('ContinueDeployment READY_WAIT refused as not Ready while CodeDeploy shows InProgress: it took effect', async () => {
    cd.on(ContinueDeploymentCommand).rejects(awsError('DeploymentIsNotInReadyStateException', 'not Ready'));
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: deployment('InProgress') });
    const result = await continueDeployment(client(), virtualClock(), DEPLOYMENT_ID, 'READY_WAIT');
    expect(result.note).toContain('the continue took effect');
  });

  it('ContinueDeployment READY_WAIT after the ready wait ran out: a refusal that says so', async () => {
    cd.on(ContinueDeploymentCommand).rejects(awsError('DeploymentAlreadyCompletedException', 'completed'));
    cd.on(GetDeploymentCommand).resolves({
      deploymentInfo: deployment('Stopped', { errorInformation: { code: 'TIMEOUT', message: 'timed out' } }),
    });
    const error = await continueDeployment(client(), virtualClock(), DEPLOYMENT_ID, 'READY_WAIT').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SteeringRefused);
    expect((error as SteeringRefused).readyWaitExpired).toBe(true);
    expect((error as SteeringRefused).final).toBe(true);
    expect((error as Error).message).toContain('ready wait');
    expect((error as Error).message).toContain('TIMEOUT: timed out');
  });

  it('ContinueDeployment refused with the deployment still Ready: not final, traffic has not moved', async () => {
    cd.on(ContinueDeploymentCommand).rejects(awsError('AccessDeniedException', 'no'));
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: deployment('Ready') });
    const error = (await continueDeployment(client(), virtualClock(), DEPLOYMENT_ID, 'READY_WAIT').catch(
      (e: unknown) => e,
    )) as SteeringRefused;
    expect(error.final).toBe(false);
    expect(error.readyWaitExpired).toBe(false);
    expect(error.message).toContain('CodeDeploy shows Ready: production traffic has not moved');
  });

  it('judges each wait type by the state read back', () => {
    expect(continueTookEffect('READY_WAIT', deployment('Succeeded'))).toBe('yes');
    expect(continueTookEffect('READY_WAIT', deployment('Ready'))).toBe('no');
    expect(continueTookEffect('READY_WAIT', deployment('Failed'))).toBe('no');
    expect(continueTookEffect('TERMINATION_WAIT', deployment('Succeeded'))).toBe('yes');
    expect(continueTookEffect('TERMINATION_WAIT', deployment('InProgress'))).toBe('unknown');
    expect(continueTookEffect('TERMINATION_WAIT', deployment('Stopped'))).toBe('no');
  });
});

describe('a rollback named late (issue #9, part 2)', () => {
  it('keeps looking while the stopped deployment is still in flight, past the old 30 s', async () => {
    const clock = virtualClock();
    cd.on(GetDeploymentCommand).callsFake(() =>
      clock.now() < START_MS + 70_000
        ? { deploymentInfo: deployment('InProgress') }
        : { deploymentInfo: deployment('Stopped', { rollbackInfo: { rollbackDeploymentId: 'd-LATE' } }) },
    );
    const found = await findRollbackDeployment(client(), clock, DEPLOYMENT_ID, 120_000);
    expect(found.rollbackDeploymentId).toBe('d-LATE');
    expect(clock.now() - START_MS).toBeGreaterThanOrEqual(70_000);
  });

  it('once final without a rollback, waits only the short grace however long the bound', async () => {
    const clock = virtualClock();
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: deployment('Stopped') });
    const found = await findRollbackDeployment(client(), clock, DEPLOYMENT_ID, 600_000);
    expect(found.rollbackDeploymentId).toBeUndefined();
    expect(clock.now() - START_MS).toBeGreaterThanOrEqual(FINAL_ROLLBACK_GRACE_MS);
    expect(clock.now() - START_MS).toBeLessThan(FINAL_ROLLBACK_GRACE_MS + 5000);
  });

  it('returns the deployment still in flight when the bound runs out', async () => {
    const clock = virtualClock();
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: deployment('InProgress') });
    const found = await findRollbackDeployment(client(), clock, DEPLOYMENT_ID, 120_000);
    expect(isDeploymentInFlight(found.deployment.status)).toBe(true);
    expect(clock.now() - START_MS).toBeGreaterThanOrEqual(120_000);
  });

  it('the search is what is left of the wait budget, never less than two minutes', () => {
    expect(rollbackSearchMs(undefined, START_MS)).toBe(MIN_ROLLBACK_SEARCH_MS);
    expect(rollbackSearchMs(START_MS + 30_000, START_MS)).toBe(MIN_ROLLBACK_SEARCH_MS);
    expect(rollbackSearchMs(START_MS + 10 * 60_000, START_MS)).toBe(10 * 60_000);
  });
});
