/**
 * run-task, for every engine and for register-only runs: the one-off task (a database migration, say) on the
 * revision just registered, before any service is updated — the official action's order. Its ARNs are the
 * `run-task-arn` output (a JSON array, as the official action gives it). With wait-for-task-stopped the
 * action waits for it (up to wait-for-minutes) and its essential containers decide: a non-zero exit code,
 * or none at all (the task did not start), fails the step with nothing deployed, naming the container, its
 * exit code and the stopped reason in the log and the job summary. A non-essential container's exit code is
 * a warning. Cancelled or timed out while waiting: the task is left running (stopping a migration halfway
 * could be worse) and nothing is deployed.
 */
import type { ContainerDefinition, Task } from '@aws-sdk/client-ecs';
import { DeploymentError, errorMessage } from '../action/errors.js';
import type { RunTaskInputs } from '../action/service-inputs.js';
import type { AwsRuntime } from '../aws/clients.js';
import type { AwsClients } from '../aws/clients.js';
import { taskConsoleUrl } from '../aws/console-url.js';
import { awsErrorName } from '../aws/errors.js';
import { runOneOffTask, waitForTasksStopped } from '../aws/one-off-task.js';
import type { OneOffContainer, OneOffRecord, OneOffTaskRecord } from '../record/task-summary.js';

export interface OneOffParams {
  cluster: string;
  region: string;
  taskDefinitionArn: string;
  /** the revision's containers: which are essential (ECS's default: every container) */
  containers: readonly ContainerDefinition[];
  runTask: RunTaskInputs;
  waitForMinutes: number;
}

export interface OneOffOutcome {
  ok: boolean;
  record: OneOffRecord;
  /**
   * the sentence for the log, the error annotation and the deployment's notes: written by the action (the
   * container names come from the task definition), never ECS's reasons
   */
  text: string;
  /** ECS's own words (stopped reason, container reasons): untrusted, for plain log lines only */
  details: string[];
}

/** A failing outcome the command has reported (summary written): fail the step with its sentence. */
export class OneOffTaskFailed extends DeploymentError {
  constructor(readonly outcome: OneOffOutcome) {
    super(outcome.text, { reported: true });
  }
}

function taskRecord(
  region: string,
  cluster: string,
  task: Task,
  essential: Map<string, boolean>,
): OneOffTaskRecord {
  return {
    taskArn: task.taskArn ?? '?',
    link: taskConsoleUrl(region, cluster, task.taskArn ?? ''),
    lastStatus: task.lastStatus,
    stopCode: task.stopCode,
    stoppedReason: task.stoppedReason,
    containers: (task.containers ?? []).map((c): OneOffContainer => ({
      name: c.name ?? '?',
      essential: essential.get(c.name ?? '') ?? true,
      exitCode: c.exitCode,
      reason: c.reason,
    })),
  };
}

/** The essential containers that did not exit 0, as "container web exited 1" / "container web has no exit code". */
export function failedEssentials(task: OneOffTaskRecord): string[] {
  return task.containers
    .filter((c) => c.essential && c.exitCode !== 0)
    .map(
      (c) =>
        `container ${c.name} ${c.exitCode === undefined ? 'has no exit code (it did not start or did not finish)' : `exited ${c.exitCode}`}`,
    );
}

/** ECS's words about how a task ended (untrusted: plain log lines and the escaped summary only). */
function ecsWords(task: OneOffTaskRecord): string[] {
  const id = task.taskArn.split('/').pop() ?? task.taskArn;
  return [
    `  task ${id} stopped (${task.stopCode ?? 'no stop code'}): ${task.stoppedReason ?? 'no stopped reason'}`,
    ...task.containers.filter((c) => c.reason).map((c) => `  container ${c.name}: ${c.reason as string}`),
  ];
}

/**
 * Runs the one-off task and, with wait-for-task-stopped, judges how it ended. Throws a DeploymentError when
 * RunTask fails or the run is cancelled or times out while waiting; returns a failing outcome when the task
 * ran and failed (the caller writes the summary and fails the step).
 */
export async function runOneOff(
  rt: AwsRuntime,
  clients: AwsClients,
  p: OneOffParams,
  ending: string,
): Promise<OneOffOutcome> {
  const { cluster, taskDefinitionArn, runTask } = p;
  if (rt.signal.aborted)
    throw new DeploymentError(
      `The run was cancelled before the one-off task (run-task) started: no task ran and ${ending}.`,
    );
  rt.info(`Running a one-off task on ${taskDefinitionArn} in cluster ${cluster} (run-task)`);
  let started: Awaited<ReturnType<typeof runOneOffTask>>;
  try {
    started = await runOneOffTask(clients.ecs, {
      cluster,
      taskDefinition: taskDefinitionArn,
      ...runTask.request,
    });
  } catch (error) {
    throw new DeploymentError(
      `RunTask failed (${awsErrorName(error)}: ${errorMessage(error)}): no one-off task ran and ${ending}.`,
      { cause: error },
    );
  }
  rt.setOutput('run-task-arn', JSON.stringify(started.taskArns));
  const failure = started.failures[0];
  if (failure || started.taskArns.length === 0)
    throw new DeploymentError(
      `RunTask started no task${failure ? `: ${failure.arn ?? '?'} is ${failure.reason ?? '?'}${failure.detail ? ` (${failure.detail})` : ''}` : ''}; ${ending}.`,
    );
  for (const arn of started.taskArns)
    rt.info(`Started one-off task ${arn}: ${taskConsoleUrl(p.region, cluster, arn)}`);

  const essential = new Map(p.containers.map((c) => [c.name ?? '', c.essential ?? true]));
  const record: OneOffRecord = {
    taskDefinitionArn,
    startedBy: runTask.request.startedBy,
    waited: runTask.waitForStop,
    tasks: started.taskArns.map((taskArn) => ({
      taskArn,
      link: taskConsoleUrl(p.region, cluster, taskArn),
      containers: [],
    })),
  };
  if (!runTask.waitForStop)
    return {
      ok: true,
      record,
      text: `One-off task ${started.taskArns.join(', ')} started; not waited for (wait-for-task-stopped is not true).`,
      details: [],
    };

  rt.info(`Waiting up to ${p.waitForMinutes} min for it to stop (wait-for-task-stopped)`);
  const seen = new Map<string, string>();
  const waited = await waitForTasksStopped(
    clients.ecs,
    rt.clock,
    { cluster, taskArns: started.taskArns, deadline: rt.clock.now() + p.waitForMinutes * 60_000 },
    (tasks) => {
      for (const t of tasks) {
        const status = t.lastStatus ?? '?';
        if (seen.get(t.taskArn ?? '') === status) continue;
        seen.set(t.taskArn ?? '', status);
        rt.info(`  one-off task ${t.taskArn?.split('/').pop() ?? '?'}: ${status}`);
      }
    },
    rt.signal,
  );
  record.tasks = waited.last.map((t) => taskRecord(p.region, cluster, t, essential));
  if (!waited.stopped) {
    const what = rt.signal.aborted
      ? 'The run was cancelled while waiting for'
      : `After ${p.waitForMinutes} min (wait-for-minutes), still waiting for`;
    throw new DeploymentError(
      `${what} one-off task ${started.taskArns.join(', ')}: it is left running (the action does not stop it) and ${ending}.`,
    );
  }
  const failures = record.tasks.flatMap(failedEssentials);
  for (const t of record.tasks)
    for (const c of t.containers.filter((x) => !x.essential && x.exitCode !== 0 && x.exitCode !== undefined))
      rt.warning(
        `One-off task: non-essential container ${c.name} exited ${c.exitCode}; the essential containers decide.`,
      );
  const details = record.tasks.flatMap(ecsWords);
  if (failures.length > 0)
    return {
      ok: false,
      record,
      text: `One-off task failed: ${failures.join('; ')}; ${ending}. ECS's stopped reason is in the log and the job summary.`,
      details,
    };
  return {
    ok: true,
    record,
    text: `One-off task ${started.taskArns.join(', ')} stopped: every essential container exited 0.`,
    details,
  };
}
