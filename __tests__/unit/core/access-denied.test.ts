/**
 * An AWS AccessDenied, explained (src/aws/access-denied.ts): the action, the resource, the role the job
 * assumed and the statement of infra/github-oidc-roles.yml that grants it, as the step's failure, with no
 * stack trace (src/action/run-command.ts).
 */
import { describe, expect, it } from '@jest/globals';
import { explainAccessDenied, readAccessDenied } from '../../../src/aws/access-denied.js';
import { awsAccess } from '../../../src/aws/clients.js';
import { runCommand } from '../../../src/action/run-command.js';
import { DeploymentError } from '../../../src/action/errors.js';
import { awsError, fakeRuntime } from '../../helpers/fake-runtime.js';

const PROMOTE = 'arn:aws:sts::111122223333:assumed-role/github-promote-web-production/promote-42-1';
const SD = 'arn:aws:ecs:us-east-1:111122223333:service-deployment/prod/web/Ab1';
const message = (principal: string, action: string, resource: string) =>
  `User: ${principal} is not authorized to perform: ${action} on resource: ${resource} because no identity-based policy allows the ${action} action`;

describe("reading AWS's AccessDenied", () => {
  it('takes the principal, its role and session, the action and the resource', () => {
    expect(readAccessDenied(message(PROMOTE, 'ecs:DescribeServiceDeployments', SD))).toEqual({
      principal: PROMOTE,
      role: 'github-promote-web-production',
      session: 'promote-42-1',
      action: 'ecs:DescribeServiceDeployments',
      resource: SD,
    });
    expect(
      readAccessDenied('User: arn:aws:iam::1:user/x is not authorized to perform: ecs:ListClusters'),
    ).toEqual({
      principal: 'arn:aws:iam::1:user/x',
      action: 'ecs:ListClusters',
    });
    expect(readAccessDenied('Rate exceeded')).toBeUndefined();
  });
});

describe('explaining it against infra/github-oidc-roles.yml', () => {
  it('names the statement that grants it to this role and the stack parameters its resources name', () => {
    const text = explainAccessDenied(
      awsError('AccessDeniedException', message(PROMOTE, 'ecs:DescribeServiceDeployments', SD)),
    )!;
    expect(text).toContain(
      `AWS denied ecs:DescribeServiceDeployments on ${SD} to the role github-promote-web-production that this job assumed (session promote-42-1).`,
    );
    expect(text).toContain('statement TheServiceDeploymentReads of promote-one-service (ProdPromoteRole)');
    expect(text).toContain('service-deployment/${EcsClusterName}/${EcsServiceName}/*');
    expect(text).toContain('Check the stack parameters EcsClusterName, EcsServiceName');
    // the deploy policy grants it too, but not to this role: not named
    expect(text).not.toContain('DeployPolicy');
  });

  it('a right the template gives another role: says so, and which', () => {
    const text = explainAccessDenied(
      awsError(
        'AccessDeniedException',
        message(PROMOTE, 'ecs:UpdateService', 'arn:aws:ecs:us-east-1:1:service/prod/web'),
      ),
    )!;
    expect(text).toContain('does not grant it to this role');
    expect(text).toContain('statement TheService of DeployPolicy (DevDeployRole, ProdDeployRole)');
    expect(text).toContain('role-to-assume');
  });

  it('a denial inside a DeploymentError (lost track while following) is found through the message and the cause', () => {
    const denied = awsError(
      'AccessDeniedException',
      message(
        'arn:aws:sts::1:assumed-role/github-deploy-web-dev/GitHubActions',
        'codedeploy:GetDeployment',
        'arn:aws:codedeploy:us-east-1:1:deploymentgroup:AppECS-prod-web/DgpECS-prod-web',
      ),
    );
    const wrapped = new DeploymentError('Lost track of d-1', { cause: denied });
    expect(explainAccessDenied(wrapped)).toContain('statement CodeDeploy of DeployPolicy');
    expect(explainAccessDenied(wrapped)).toContain('CodeDeployApplicationName');
    expect(explainAccessDenied(new Error('socket hang up'))).toBeUndefined();
  });
});

describe('the step that fails with it', () => {
  it('fails with the explanation instead of "Unexpected error" and the debug-logging hint', async () => {
    const rt = Object.assign(fakeRuntime(), { explainError: awsAccess.explainError });
    await runCommand(rt, async () => {
      throw awsError('AccessDeniedException', message(PROMOTE, 'ecs:DescribeServiceDeployments', SD));
    });
    expect(rt.failed).toHaveLength(1);
    expect(rt.failed[0]).toMatch(/^AWS denied ecs:DescribeServiceDeployments on /);
    expect(rt.failed[0]).toContain('TheServiceDeploymentReads');
    expect(rt.logText()).not.toContain('debug logging');
    expect(rt.logText()).not.toMatch(/\n\s+at /);
  });

  it('a reported DeploymentError keeps its message and gets the explanation as its own annotation', async () => {
    const rt = Object.assign(fakeRuntime(), { explainError: awsAccess.explainError });
    const errors: string[] = [];
    rt.error = (m: string) => errors.push(m);
    const denied = awsError('AccessDeniedException', message(PROMOTE, 'codedeploy:StopDeployment', '*'));
    await runCommand(rt, async () => {
      throw new DeploymentError('Deployment d-1 failed.', { reported: true, cause: denied });
    });
    expect(rt.failed).toEqual(['Deployment d-1 failed.']);
    expect(errors.join('\n')).toContain(
      'statement ContinueOrStopAndFollow of promote-one-service (ProdPromoteRole) on *',
    );
  });

  it('other errors are not touched', async () => {
    const rt = Object.assign(fakeRuntime(), { explainError: awsAccess.explainError });
    await runCommand(rt, async () => {
      throw new TypeError('x is undefined');
    });
    expect(rt.failed).toEqual(['Unexpected error: x is undefined']);
  });
});
