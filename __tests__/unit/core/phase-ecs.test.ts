/** The phase after following reads ECS's status names for an ECS record (commands/phase.ts, one owner for both engines). */
import { describe, expect, it } from '@jest/globals';
import { phaseAfterFollowing } from '../../../src/commands/phase.js';
import { newDeploymentRecord, setVerdict, type DeploymentRecord } from '../../../src/record/record.js';

function ecsRecord(status: string, verdict?: DeploymentRecord['verdict']): DeploymentRecord {
  const r = newDeploymentRecord({
    deploymentId: 'arn:aws:ecs:us-east-1:111122223333:service-deployment/c/s/abc',
    region: 'us-east-1',
    engine: 'ecs',
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

describe('the phase after following an ECS service deployment', () => {
  it('a cancel leaves the stop to the post step only while the deployment is in flight and not being undone', () => {
    expect(phaseAfterFollowing(ecsRecord('IN_PROGRESS', 'cancelled'), new Error('x'), true, true)).toBe(
      'cancelled',
    );
    expect(phaseAfterFollowing(ecsRecord('PENDING', 'cancelled'), new Error('x'), true, true)).toBe(
      'cancelled',
    );
    for (const undoing of ['ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS', 'STOP_REQUESTED'])
      expect(phaseAfterFollowing(ecsRecord(undoing, 'cancelled'), new Error('x'), true, true)).toBe('done');
    expect(phaseAfterFollowing(ecsRecord('SUCCESSFUL', 'cancelled'), new Error('x'), true, true)).toBe(
      'done',
    );
    expect(phaseAfterFollowing(ecsRecord('IN_PROGRESS', 'cancelled'), new Error('x'), true, false)).toBe(
      'done',
    );
  });
  it("chooses the status names by the record's engine: ECS's rollback status leaves no stop to do", () => {
    const ecs = ecsRecord('ROLLBACK_IN_PROGRESS', 'cancelled');
    const codedeploy: DeploymentRecord = { ...ecs, engine: 'codedeploy' };
    expect(phaseAfterFollowing(ecs, new Error('x'), true, true)).toBe('done');
    expect(phaseAfterFollowing(codedeploy, new Error('x'), true, true)).toBe('cancelled');
  });
  it('an unexpected error leaves an ECS deployment to the post step as a failure, or a cancel', () => {
    expect(phaseAfterFollowing(ecsRecord('IN_PROGRESS'), new Error('boom'), false, true)).toBe('failed');
    expect(phaseAfterFollowing(ecsRecord('IN_PROGRESS'), new Error('boom'), true, true)).toBe('cancelled');
    expect(phaseAfterFollowing(ecsRecord('IN_PROGRESS'), undefined, false, true)).toBe('done');
  });
});
