/**
 * run-task's rule (src/commands/one-off-task.ts): the output, the wait, and what decides — the essential
 * containers' exit codes — with ECS's own words kept out of the sentence that becomes an annotation.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { DescribeTasksCommand, ECSClient, RunTaskCommand, type Task } from '@aws-sdk/client-ecs';
import { DeploymentError } from '../../../src/action/errors.js';
import { parseRunTask } from '../../../src/action/service-inputs.js';
import { runOneOff, type OneOffParams } from '../../../src/commands/one-off-task.js';
import { awsError, errorOf, fakeRuntime, type FakeRuntime } from '../../helpers/fake-runtime.js';

const ecs = mockClient(ECSClient);
const TASK = 'arn:aws:ecs:us-east-1:111122223333:task/prod/0123456789abcdef';
const TD = 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:7';

function params(wait: boolean, extra: Record<string, string> = {}): OneOffParams {
  const runTask = parseRunTask(
    (name) => ({ 'run-task': 'true', 'wait-for-task-stopped': String(wait), ...extra })[name] ?? '',
    [],
  );
  return {
    cluster: 'prod',
    region: 'us-east-1',
    taskDefinitionArn: TD,
    containers: [{ name: 'migrate' }, { name: 'log-router', essential: false }],
    runTask: runTask!,
    waitForMinutes: 10,
  };
}

function stoppedTask(exit: Record<string, number | undefined>, reasons: Record<string, string> = {}): Task {
  return {
    taskArn: TASK,
    lastStatus: 'STOPPED',
    stopCode: 'EssentialContainerExited',
    stoppedReason: 'Essential container in task exited',
    containers: Object.entries(exit).map(([name, exitCode]) => ({ name, exitCode, reason: reasons[name] })),
  };
}

/** DescribeTasks answers RUNNING `runningReads` times, then `end`. */
function taskEnds(end: Task, runningReads = 2): void {
  let reads = 0;
  ecs.on(DescribeTasksCommand).callsFake(() => {
    reads += 1;
    return {
      tasks: [reads <= runningReads ? { taskArn: TASK, lastStatus: 'RUNNING', containers: [] } : end],
    };
  });
}

let rt: FakeRuntime;
beforeEach(() => {
  ecs.reset();
  ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }], failures: [] });
  rt = fakeRuntime();
});

describe('the one-off task', () => {
  it('runs on the new revision with the inputs and a client token, gives run-task-arn as a JSON array, and does not wait by default', async () => {
    const outcome = await runOneOff(
      rt,
      rt.makeClients({ region: 'us-east-1' }),
      params(false),
      'no service was changed',
    );
    const sent = ecs.commandCalls(RunTaskCommand)[0]!.args[0].input;
    expect(sent).toMatchObject({
      cluster: 'prod',
      taskDefinition: TD,
      startedBy: 'GitHub-Actions',
      launchType: 'FARGATE',
      overrides: { containerOverrides: [] },
      tags: [],
    });
    expect(sent.clientToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(rt.outputs['run-task-arn']).toBe(JSON.stringify([TASK]));
    expect(JSON.parse(rt.outputs['run-task-arn'] as string)).toEqual([TASK]);
    expect(outcome.ok).toBe(true);
    expect(outcome.text).toMatch(/not waited for/);
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0);
  });

  it('waits for it to stop and succeeds when every essential container exited 0; a non-essential one only warns', async () => {
    taskEnds(stoppedTask({ migrate: 0, 'log-router': 137 }));
    const outcome = await runOneOff(
      rt,
      rt.makeClients({ region: 'us-east-1' }),
      params(true),
      'no service was changed',
    );
    expect(outcome.ok).toBe(true);
    expect(outcome.text).toBe(`One-off task ${TASK} stopped: every essential container exited 0.`);
    expect(rt.logText('warning')).toMatch(/non-essential container log-router exited 137/);
    expect(rt.logText('info')).toMatch(
      /one-off task 0123456789abcdef: RUNNING\n.*one-off task 0123456789abcdef: STOPPED/,
    );
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(3);
  });

  it('fails when an essential container exits non-zero, naming it and its exit code, ECS words only in the details', async () => {
    taskEnds(stoppedTask({ migrate: 3, 'log-router': 0 }, { migrate: '::error::from the container' }));
    const outcome = await runOneOff(
      rt,
      rt.makeClients({ region: 'us-east-1' }),
      params(true),
      'no service was changed',
    );
    expect(outcome.ok).toBe(false);
    expect(outcome.text).toBe(
      "One-off task failed: container migrate exited 3; no service was changed. ECS's stopped reason is in the log and the job summary.",
    );
    expect(outcome.details).toEqual([
      '  task 0123456789abcdef stopped (EssentialContainerExited): Essential container in task exited',
      '  container migrate: ::error::from the container',
    ]);
    expect(outcome.record.tasks[0]?.containers).toEqual([
      { name: 'migrate', essential: true, exitCode: 3, reason: '::error::from the container' },
      { name: 'log-router', essential: false, exitCode: 0, reason: undefined },
    ]);
  });

  it('fails when the task did not start: an essential container without an exit code', async () => {
    taskEnds({
      taskArn: TASK,
      lastStatus: 'STOPPED',
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'CannotPullContainerError: pull access denied',
      containers: [{ name: 'migrate' }, { name: 'log-router' }],
    });
    const outcome = await runOneOff(
      rt,
      rt.makeClients({ region: 'us-east-1' }),
      params(true),
      'no service was changed',
    );
    expect(outcome.ok).toBe(false);
    expect(outcome.text).toMatch(/container migrate has no exit code \(it did not start or did not finish\)/);
    expect(outcome.text).not.toMatch(/log-router/);
    expect(outcome.details[0]).toMatch(/TaskFailedToStart\): CannotPullContainerError/);
  });

  it('gives up after wait-for-minutes with the task left running', async () => {
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: 'RUNNING' }] });
    const error = await errorOf(
      runOneOff(rt, rt.makeClients({ region: 'us-east-1' }), params(true), 'no service was changed'),
    );
    expect(error).toBeInstanceOf(DeploymentError);
    expect(error?.message).toBe(
      `After 10 min (wait-for-minutes), still waiting for one-off task ${TASK}: it is left running (the action does not stop it) and no service was changed.`,
    );
    expect(rt.clock.sleeps.reduce((a, b) => a + b, 0)).toBe(10 * 60_000);
  });

  it('stops waiting when the run is cancelled, leaving the task running', async () => {
    ecs.on(DescribeTasksCommand).callsFake(() => {
      rt.controller.abort();
      return { tasks: [{ taskArn: TASK, lastStatus: 'RUNNING' }] };
    });
    const error = await errorOf(
      runOneOff(rt, rt.makeClients({ region: 'us-east-1' }), params(true), 'no service was changed'),
    );
    expect(error?.message).toMatch(
      /^The run was cancelled while waiting for one-off task .*: it is left running/,
    );
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(1);
  });

  it('fails with what RunTask said when it starts no task or refuses', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ arn: TD, reason: 'RESOURCE:MEMORY' }] });
    const failed = await errorOf(
      runOneOff(rt, rt.makeClients({ region: 'us-east-1' }), params(true), 'nothing was deployed'),
    );
    expect(failed?.message).toBe(`RunTask started no task: ${TD} is RESOURCE:MEMORY; nothing was deployed.`);
    expect(rt.outputs['run-task-arn']).toBe('[]');
    ecs
      .on(RunTaskCommand)
      .rejects(awsError('InvalidParameterException', 'Network Configuration must be provided'));
    const refused = await errorOf(
      runOneOff(rt, rt.makeClients({ region: 'us-east-1' }), params(true), 'nothing was deployed'),
    );
    expect(refused?.message).toBe(
      'RunTask failed (InvalidParameterException: Network Configuration must be provided): no one-off task ran and nothing was deployed.',
    );
  });
});
