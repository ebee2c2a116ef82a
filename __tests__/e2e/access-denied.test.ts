/**
 * When the role a job assumed lacks a right (here: the promote role's stack names another service or
 * application than the one deployed), the step fails saying which action on which resource AWS denied, to
 * which role, and which statement of infra/github-oidc-roles.yml grants it with the stack parameters to
 * check; no stack trace, no "Unexpected error".
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { annotations, startWorld, type World } from './harness.js';
import { taskDefinitionFile } from '../../emulator/scenario.js';
import type { ActionRunResult } from '../../scripts/action-runner.js';

const LONG = 120_000;
let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

function failedWithExplanation(result: ActionRunResult): string {
  expect(result.exitCode).toBe(1);
  const errors = annotations(result.stdout).join('\n');
  expect(result.stdout).not.toContain('Unexpected error');
  expect(result.stdout).not.toMatch(/\n\s+at \S+ \(/);
  return errors;
}

describe('AccessDenied, explained', () => {
  it(
    'ECS-native: the promote role of a stack for another service cannot read the deployment',
    async () => {
      const w = (world = await startWorld());
      const s = w.emulator.seed.ecsNativeService({
        strategy: 'BLUE_GREEN',
        bakeTimeInMinutes: 1,
        lifecycleHooks: [
          {
            targetType: 'PAUSE',
            lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
            timeoutConfiguration: { timeoutInMinutes: 60, action: 'ROLLBACK' },
          },
        ],
      });
      w.useService(s);
      const file = JSON.stringify(
        taskDefinitionFile({
          family: s.family,
          containerName: s.containerName,
          containerPort: s.containerPort,
          accountId: w.emulator.accountId,
          secretValue: 'x',
        }),
      );
      const deployed = await w.deploy(
        {
          'codedeploy-appspec': undefined,
          cluster: s.cluster,
          service: s.service,
          'container-name': s.containerName,
          'task-definition': 'native.json',
          'wait-until': 'ready',
        },
        { job: 'prod', files: { 'native.json': file } },
      );
      expect(deployed.exitCode).toBe(0);
      const arn = deployed.outputs['deployment-id'] as string;

      // the production account's stack was created for another service
      w.useService(s, { EcsServiceName: 'web-old' });
      const promoted = await w.run('dist/promote/index.js', {
        'aws-region': w.emulator.region,
        'deployment-id': arn,
        'wait-until': 'succeeded',
      });
      const errors = failedWithExplanation(promoted);
      const denied = w.emulator.iam.decisions().find((d) => !d.allowed)!;
      expect(denied).toMatchObject({ role: 'github-promote-web-production', allowed: false });
      // the action, the resource, the role and its session
      expect(errors).toContain(`AWS denied ${denied.action} on ${denied.resource}`);
      expect(errors).toContain(
        'to the role github-promote-web-production that this job assumed (session GitHubActions)',
      );
      expect(denied.action).toMatch(/^ecs:/);
      // the statement of the template that grants it to this role, and the parameters to check
      expect(errors).toMatch(
        /statement (TheService|TheServiceDeploymentReads|ContinueOrStopTheServiceDeployment) of promote-one-service \(ProdPromoteRole\)/,
      );
      expect(errors).toContain('service/${EcsClusterName}/${EcsServiceName}');
      expect(errors).toMatch(/Check the stack parameters EcsClusterName, EcsServiceName/);
      // nothing was continued
      expect(w.emulator.calls.map((c) => c.action)).not.toContain('ContinueServiceDeployment');
    },
    LONG,
  );

  it(
    'CodeDeploy: the promote role of a stack for another application cannot read the deployment',
    async () => {
      const w = (world = await startWorld({
        service: {
          readyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 60 },
          deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce',
        },
      }));
      const deployed = await w.deploy({ 'wait-until': 'ready' }, { job: 'prod' });
      expect(deployed.exitCode).toBe(0);
      w.useService(w.seeded, { CodeDeployApplicationName: 'AppECS-old-web' });
      const promoted = await w.run('dist/promote/index.js', {
        'aws-region': w.emulator.region,
        'deployment-id': deployed.outputs['codedeploy-deployment-id'] as string,
      });
      const errors = failedWithExplanation(promoted);
      expect(errors).toContain(
        `AWS denied codedeploy:GetDeployment on arn:aws:codedeploy:${w.emulator.region}:${w.emulator.accountId}:deploymentgroup:${w.seeded.application}/${w.seeded.deploymentGroup}`,
      );
      expect(errors).toContain('github-promote-web-production');
      expect(errors).toContain('statement TheApplication of promote-one-service (ProdPromoteRole)');
      expect(errors).toContain('deploymentgroup:${CodeDeployApplicationName}/*');
      expect(errors).toContain('Check the stack parameter CodeDeployApplicationName of');
      expect(w.emulator.calls.map((c) => c.action)).not.toContain('ContinueDeployment');
    },
    LONG,
  );
});
