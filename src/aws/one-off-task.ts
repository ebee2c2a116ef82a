/**
 * A one-off task (run-task): RunTask on the revision about to be deployed, and DescribeTasks until it has
 * stopped. RunTask carries a client token made once per run, so a retry of a call whose answer was lost
 * starts no second task (RunTask clientToken: "An identifier that you provide to ensure the idempotency of
 * the request"). What the task's end means is decided by the command (src/commands/one-off-task.ts).
 */
import { randomUUID } from 'node:crypto';
import {
  DescribeTasksCommand,
  RunTaskCommand,
  type ECSClient,
  type Failure,
  type RunTaskCommandInput,
  type Task,
} from '@aws-sdk/client-ecs';
import type { Clock } from '../action/clock.js';
import { withRetries } from './retry.js';

/** Between two DescribeTasks while waiting for the task to stop (the official action waits 15 s at least). */
export const ONE_OFF_POLL_MS = 6_000;

export interface Started {
  taskArns: string[];
  failures: Failure[];
}

export async function runOneOffTask(
  ecs: ECSClient,
  request: Omit<RunTaskCommandInput, 'clientToken'>,
  clientToken: string = randomUUID(),
): Promise<Started> {
  const response = await ecs.send(new RunTaskCommand({ ...request, clientToken }));
  return {
    taskArns: (response.tasks ?? []).map((t) => t.taskArn).filter((a): a is string => typeof a === 'string'),
    failures: response.failures ?? [],
  };
}

export async function describeTasks(
  ecs: ECSClient,
  clock: Clock,
  cluster: string,
  taskArns: string[],
): Promise<Task[]> {
  const response = await withRetries(clock, () =>
    ecs.send(new DescribeTasksCommand({ cluster, tasks: taskArns })),
  );
  return response.tasks ?? [];
}

/**
 * Reads the tasks until every one is STOPPED (returned), the deadline passes or the run is cancelled
 * (undefined, with what was read last in `last`). `onRead` sees each read (for the log).
 */
export async function waitForTasksStopped(
  ecs: ECSClient,
  clock: Clock,
  params: { cluster: string; taskArns: string[]; deadline: number },
  onRead: (tasks: Task[]) => void,
  signal?: AbortSignal,
): Promise<{ stopped?: Task[]; last: Task[] }> {
  let last: Task[] = [];
  for (;;) {
    last = await describeTasks(ecs, clock, params.cluster, params.taskArns);
    onRead(last);
    if (last.length === params.taskArns.length && last.every((t) => t.lastStatus === 'STOPPED'))
      return { stopped: last, last };
    if (clock.now() >= params.deadline || signal?.aborted) return { last };
    await clock.sleep(Math.min(ONE_OFF_POLL_MS, Math.max(0, params.deadline - clock.now())), signal);
    if (signal?.aborted) return { last };
  }
}
