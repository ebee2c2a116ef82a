/**
 * Drop-in compatibility with aws-actions/amazon-ecs-deploy-task-definition on the CodeDeploy path: the
 * bundle run with only the official action's inputs and files written for it.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { annotations, inspect, startWorld, type World } from './harness.js';

const LONG = 120_000;

let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

describe('a workflow written for the official action', () => {
  it(
    'registers a task definition with null and empty values, reads a lowercase JSON AppSpec without version, and waits to Succeeded on wait-for-service-stability',
    async () => {
      world = await startWorld();
      const { seeded } = world;
      const base = world.taskDefinition as { containerDefinitions: Record<string, unknown>[] };
      const container = { ...base.containerDefinitions[0] } as Record<string, unknown>;
      // What the official action's users write: a console export with nulls, empty objects and entries.
      const taskDefinition = {
        ...base,
        ipcMode: null,
        pidMode: '',
        registeredAt: 1611690781,
        status: 'ACTIVE',
        containerDefinitions: [
          {
            ...container,
            user: null,
            logConfiguration: {},
            repositoryCredentials: { credentialsParameter: '' },
            environment: [
              ...((container.environment as unknown[] | undefined) ?? []),
              { name: 'EMPTY_FLAG', value: '' },
              { name: '', value: '' },
            ],
          },
        ],
      };
      const appSpec = {
        resources: [
          {
            TargetService: {
              type: 'AWS::ECS::Service',
              properties: {
                taskDefinition: 'placeholder',
                loadBalancerInfo: {
                  containerName: seeded.containerName,
                  containerPort: seeded.containerPort,
                },
              },
            },
          },
        ],
      };
      const result = await world.run(
        'dist/index.js',
        {
          'aws-region': world.emulator.region,
          'role-to-assume': world.roleArn,
          cluster: seeded.cluster,
          service: seeded.service,
          'task-definition': 'official-task-definition.json',
          'codedeploy-appspec': 'appspec.json',
          'wait-for-service-stability': 'TRUE',
          'desired-count': '3',
        },
        {
          files: {
            'official-task-definition.json': JSON.stringify(taskDefinition, null, 2),
            'appspec.json': JSON.stringify(appSpec),
          },
        },
      );

      expect(annotations(result.stdout)).toEqual([]);
      expect(result.exitCode).toBe(0);
      expect(result.outputs['deployment-status']).toBe('Succeeded');
      const arn = result.outputs['task-definition-arn'] as string;
      expect(arn).toMatch(/:task-definition\/web:2$/);
      expect(result.outputs['codedeploy-deployment-id']).toMatch(/^d-[A-Z0-9]{9}$/);
      expect(await inspect(world).runningTaskDefinition()).toBe(arn);

      const warnings = annotations(result.stdout, 'warning');
      expect(warnings).toEqual(
        expect.arrayContaining([expect.stringContaining('left out empty values (null, "" or {})')]),
      );
      // desired-count, which the official action ignores on CODE_DEPLOY services, is set before the deployment
      expect(warnings.join('\n')).not.toMatch(/desired-count/);
      const after = await inspect(world).ecs.send(
        new DescribeServicesCommand({ cluster: seeded.cluster, services: [seeded.service] }),
      );
      expect(after.services?.[0]?.desiredCount).toBe(3);

      const registered = (
        await inspect(world).ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }))
      ).taskDefinition;
      const web = registered?.containerDefinitions?.[0];
      expect(registered?.ipcMode).toBeUndefined();
      expect(web?.logConfiguration).toBeUndefined();
      expect(web?.repositoryCredentials).toBeUndefined();
      expect(web?.environment).toContainEqual({ name: 'EMPTY_FLAG', value: '' });
      expect(web?.environment?.some((e) => e.name === '')).toBe(false);
    },
    LONG,
  );
});
