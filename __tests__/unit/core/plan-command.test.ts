import { beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import { runPlan } from '../../../src/commands/plan.js';
import { fakeRuntime } from '../../helpers/fake-runtime.js';
import {
  cd,
  changedAnything,
  ecs,
  setUpWorld,
  taskDefinitionJson,
  type World,
  restoreWorkspaceAfterAll,
} from '../../helpers/aws-world.js';

restoreWorkspaceAfterAll();

let world: World;
beforeEach(() => {
  world = setUpWorld();
});

const inputs = {
  service: 'web',
  cluster: 'prod',
  'task-definition': 'task-definition.json',
  'aws-region': 'us-east-1',
};

describe('runPlan', () => {
  it('reports no changes when the file matches the running revision, and changes nothing in AWS', async () => {
    const rt = fakeRuntime({ inputs });
    await runPlan(rt);
    expect(rt.outputs['has-changes']).toBe('false');
    expect(rt.outputs['running-task-definition-arn']).toBe(
      'arn:aws:ecs:us-east-1:111122223333:task-definition/web:42',
    );
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)[0]?.args[0].input.taskDefinition).toBe(
      'arn:aws:ecs:us-east-1:111122223333:task-definition/web:42',
    );
    expect(changedAnything()).toBe(false);
  });

  it('shows a changed image and the deployment in flight', async () => {
    world.file('task-definition.json', {
      ...taskDefinitionJson,
      containerDefinitions: [{ ...taskDefinitionJson.containerDefinitions?.[0], image: 'nginx:1.28' }],
    });
    cd.on(ListDeploymentsCommand).resolves({ deployments: ['d-OTHER0001'] });
    const rt = fakeRuntime({ inputs });
    await runPlan(rt);
    expect(rt.outputs['has-changes']).toBe('true');
    expect(rt.summaries[0]).toContain('nginx:1.28');
    expect(rt.summaries[0]).toContain('A deployment is in flight in the group: [d-OTHER0001]');
    expect(changedAnything()).toBe(false);
  });

  it('names changed environment variables but never prints their values', async () => {
    const container = taskDefinitionJson.containerDefinitions?.[0];
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        ...taskDefinitionJson,
        containerDefinitions: [
          { ...container, environment: [{ name: 'DB_PASSWORD', value: 'old-s3cret-value' }] },
        ],
      },
    });
    world.file('task-definition.json', {
      ...taskDefinitionJson,
      containerDefinitions: [
        { ...container, environment: [{ name: 'DB_PASSWORD', value: 'new-s3cret-value' }] },
      ],
    });
    const rt = fakeRuntime({ inputs });
    await runPlan(rt);
    expect(rt.outputs['has-changes']).toBe('true');
    const everything = [...rt.summaries, rt.logText(), rt.outputs['diff-markdown'] ?? ''].join('\n');
    expect(everything).toContain('DB_PASSWORD');
    expect(everything).not.toContain('s3cret');
  });
});
