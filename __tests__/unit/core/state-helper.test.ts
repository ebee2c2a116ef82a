import { describe, expect, it } from '@jest/globals';
import {
  STATE_KEYS,
  saveCreatingState,
  isPostStep,
  markMainStarted,
  readDeploymentState,
  saveDeploymentState,
  savePhase,
} from '../../../src/action/state.js';
import { fakeRuntime } from '../../helpers/fake-runtime.js';

describe('state-helper', () => {
  it('marks the next run as the post step', () => {
    const rt = fakeRuntime();
    expect(isPostStep(rt)).toBe(false);
    markMainStarted(rt);
    expect(isPostStep(rt)).toBe(true);
  });

  it('round-trips the deployment, its phase and both rollback rules', () => {
    const rt = fakeRuntime();
    expect(readDeploymentState(rt)).toBeUndefined();
    saveDeploymentState(rt, 'd-ABCDEF123', { rollbackOnCancel: false, rollbackOnFailure: true });
    expect(readDeploymentState(rt)).toEqual({
      deploymentId: 'd-ABCDEF123',
      phase: 'following',
      engine: 'codedeploy',
      rollbackOnCancel: false,
      rollbackOnFailure: true,
    });
    const arn = 'arn:aws:ecs:us-east-1:111122223333:service-deployment/prod/web/abc';
    saveDeploymentState(rt, arn, { rollbackOnCancel: true, rollbackOnFailure: true }, 'ecs');
    expect(readDeploymentState(rt)).toMatchObject({ deploymentId: arn, engine: 'ecs' });
    saveDeploymentState(rt, 'd-ABCDEF123', { rollbackOnCancel: true, rollbackOnFailure: false });
    expect(readDeploymentState(rt)?.rollbackOnFailure).toBe(false);
    savePhase(rt, 'done');
    expect(rt.state[STATE_KEYS.phase]).toBe('done');
    expect(readDeploymentState(rt)?.phase).toBe('done');
  });

  it('defaults rollback-on-cancel to true when the state lacks it', () => {
    const rt = fakeRuntime({ state: { [STATE_KEYS.deploymentId]: 'd-ABCDEF123' } });
    expect(readDeploymentState(rt)?.rollbackOnCancel).toBe(true);
  });

  it("phase 'creating' carries each engine's own fields for the post step (ECS: service, task definition, time)", () => {
    const rt = fakeRuntime();
    const fields = {
      cluster: 'prod',
      service: 'web',
      taskDefinitionArn: 'arn:aws:ecs:…:task-definition/web:43',
    };
    saveCreatingState(
      rt,
      'ecs',
      { fields, startedAt: 1234 },
      { rollbackOnCancel: true, rollbackOnFailure: false },
    );
    expect(readDeploymentState(rt)).toEqual({
      pending: { fields, startedAt: 1234 },
      phase: 'creating',
      engine: 'ecs',
      rollbackOnCancel: true,
      rollbackOnFailure: false,
    });
    expect(() =>
      saveCreatingState(
        rt,
        'ecs',
        { fields: { phase: 'done' }, startedAt: 1 },
        { rollbackOnCancel: true, rollbackOnFailure: true },
      ),
    ).toThrow(/phase/);
  });
});
