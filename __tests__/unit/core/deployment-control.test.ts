import { afterEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CodeDeployClient,
  ContinueDeploymentCommand,
  GetDeploymentCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import {
  continueDeployment,
  findRollbackDeployment,
  stopDeployment,
} from '../../../src/codedeploy/control.js';
import { MAX_AWS_REQUESTS, withRetries } from '../../../src/aws/retry.js';
import { getDeployment, isDeploymentInFlight } from '../../../src/aws/codedeploy-reads.js';
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

  it('stopDeployment names the deployment and the error otherwise', async () => {
    cd.on(StopDeploymentCommand).rejects(awsError('AccessDeniedException', 'not allowed'));
    await expect(stopDeployment(client(), virtualClock(), DEPLOYMENT_ID, true)).rejects.toThrow(
      `StopDeployment ${DEPLOYMENT_ID} failed: AccessDeniedException: not allowed`,
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
