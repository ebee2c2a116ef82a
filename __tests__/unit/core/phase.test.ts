import { describe, expect, it } from '@jest/globals';
import { phaseAfterFollowing } from '../../../src/commands/phase.js';
import { postStepRule } from '../../../src/commands/post.js';
import { newDeploymentRecord, setVerdict, type DeploymentRecord } from '../../../src/record/record.js';
import type { SavedDeployment } from '../../../src/action/state.js';

function record(status: string, verdict?: DeploymentRecord['verdict']): DeploymentRecord {
  const r = newDeploymentRecord({
    deploymentId: 'd-ABCDEF123',
    region: 'us-east-1',
    engine: 'codedeploy',
    cluster: 'c',
    service: 's',
    taskDefinitionArn: 'arn:td:1',
    images: [],
    waitUntil: 'succeeded',
    startedAt: 0,
    status,
  });
  if (verdict) setVerdict(r, verdict, verdict);
  return r;
}

describe('the phase saved after following (one owner: the deploy command)', () => {
  it('is done once a verdict was reached, whatever it was', () => {
    for (const verdict of ['succeeded', 'reached', 'failed', 'stopped', 'timeout', 'not-followed'] as const)
      expect(phaseAfterFollowing(record('InProgress', verdict), new Error('x'), false, true)).toBe('done');
  });
  it('a cancel leaves work for the post step only when the stop did not take effect', () => {
    expect(phaseAfterFollowing(record('Stopped', 'cancelled'), new Error('x'), true, true)).toBe('done');
    expect(phaseAfterFollowing(record('InProgress', 'cancelled'), new Error('x'), true, true)).toBe(
      'cancelled',
    );
    expect(phaseAfterFollowing(record('Succeeded', 'cancelled'), new Error('x'), true, true)).toBe('done');
    expect(phaseAfterFollowing(record('InProgress', 'cancelled'), new Error('x'), true, false)).toBe('done');
  });
  it('an error the action did not expect leaves the deployment to the post step as a failure, or a cancel', () => {
    expect(phaseAfterFollowing(record('InProgress'), new Error('boom'), false, true)).toBe('failed');
    expect(phaseAfterFollowing(record('InProgress'), new Error('boom'), true, true)).toBe('cancelled');
    expect(phaseAfterFollowing(record('InProgress'), undefined, false, true)).toBe('done');
  });
});

describe('the post step applies the rule that fits what the main step left', () => {
  const saved = (phase: string, rollbackOnCancel: boolean, rollbackOnFailure: boolean): SavedDeployment => ({
    deploymentId: 'd-ABCDEF123',
    phase,
    engine: 'codedeploy',
    rollbackOnCancel,
    rollbackOnFailure,
  });
  it('rollback-on-failure for a failure', () => {
    expect(postStepRule(saved('failed', true, false))).toMatchObject({
      rule: 'rollback-on-failure',
      rollback: false,
    });
    expect(postStepRule(saved('failed', false, true))).toMatchObject({
      rule: 'rollback-on-failure',
      rollback: true,
    });
  });
  it('rollback-on-cancel for a cancel or a killed main step', () => {
    for (const phase of ['cancelled', 'following'])
      expect(postStepRule(saved(phase, true, false))).toMatchObject({
        rule: 'rollback-on-cancel',
        rollback: true,
      });
    expect(postStepRule(saved('following', false, true))).toMatchObject({ rollback: false });
  });
});
