/**
 * Follows one CodeDeploy deployment for the commands (src/engine/engine.ts Follower): the watcher and the
 * reporter behind engine-neutral calls, the stuck-Install diagnostics, what undoes a failed deployment — the
 * rollback deployment CodeDeploy starts, looked for as long as the wait allows and followed to its end —
 * the stop with rollback, and the summary's CodeDeploy parts. The verdicts are the commands' (follow.ts).
 */
import type { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import type { AwsRuntime } from '../../aws/clients.js';
import { isDeploymentInFlight, type TrafficRouting } from '../../aws/codedeploy-reads.js';
import { errorMessage } from '../../action/errors.js';
import type {
  BudgetFrom,
  Engine,
  EngineContext,
  Follower,
  Goal,
  RevisionTargets,
  Steering,
  SummaryParts,
} from '../../engine/engine.js';
import { eitherSignal, type WatchCounts, type WatchEnd } from '../../engine/watch.js';
import { targetGroupsByName } from '../../aws/elbv2-reads.js';
import type { MetricTarget } from '../../record/health.js';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { stopWithRollback } from '../../engine/stop.js';
import { StuckTasksDiagnostics } from '../../engine/stuck-tasks.js';
import {
  addNote,
  newDeploymentRecord,
  setRollback,
  type CodeDeployRecordPart,
  type DeploymentRecord,
} from '../../record/record.js';
import { findRollbackDeployment } from './control.js';
import { describeStuckPhase, installSubject } from './diagnostics.js';
import { currentLifecycleEvent, describeWeightsOf, taskSetWeights, type Observation } from './progress.js';
import { DeploymentReporter } from './reporter.js';
import { codeDeploySteering } from './steering.js';
import { codeDeploySummary } from './summary.js';
import { rollbackSearchMs, waitBudget } from './wait-budget.js';
import { watchDeployment } from './watcher.js';

export interface CodeDeployFollowSettings {
  targetId: string;
  routing?: TrafficRouting;
  terminationWaitMinutes: number;
  /** the group holds the replacement in Ready (STOP_DEPLOYMENT), for up to this many minutes */
  readyWaitMinutes?: number;
  /** explain a long Install (the deploy command), with the service's health check grace period */
  stuckTasks?: { healthCheckGracePeriodSeconds?: number };
}

/** The CodeDeploy part of a record, made when missing. */
export function codeDeployPart(record: DeploymentRecord): CodeDeployRecordPart {
  record.codedeploy ??= {
    application: '?',
    deploymentGroup: '?',
    events: new Map(),
    traffic: [],
  };
  return record.codedeploy;
}

export class CodeDeployFollower implements Follower {
  readonly stats: WatchCounts = { calls: 0, transientErrors: 0 };
  readonly reporter: DeploymentReporter;
  /** what the last watch of record.deploymentId saw, so that a later watch tells only what changed */
  lastObservation?: Observation;
  /** the new revision's production share and when a look first showed it (health checks place shifts by it) */
  private shift?: { percent: number; since: number };
  private readonly diagnostics?: StuckTasksDiagnostics<Observation>;
  /** the wait budget's deadline while following: bounds the search for a late rollback */
  private deadline?: number;

  readonly steering: Steering;
  private readonly rt: AwsRuntime;
  private readonly codedeploy: CodeDeployClient;
  private readonly elbv2: () => ElasticLoadBalancingV2Client;
  /** target groups by name, once read */
  private readonly targetGroups = new Map<string, MetricTarget>();

  constructor(
    readonly engine: Engine,
    ctx: EngineContext,
    readonly record: DeploymentRecord,
    private readonly settings: CodeDeployFollowSettings,
  ) {
    const { rt, clients } = ctx;
    this.rt = rt;
    this.codedeploy = clients.codedeploy;
    this.elbv2 = () => clients.elbv2();
    this.steering = codeDeploySteering(clients.codedeploy, rt.clock, record.region);
    codeDeployPart(record);
    this.reporter = new DeploymentReporter(record, rt, () => rt.clock.now());
    if (settings.stuckTasks)
      this.diagnostics = new StuckTasksDiagnostics(
        rt,
        record,
        { ecs: clients.ecs, ...settings.stuckTasks },
        installSubject,
      );
  }

  budget(goal: Goal, waitForMinutes: number, from: BudgetFrom, testCommand?: string) {
    return waitBudget(
      {
        waitForMinutes,
        waitUntil: goal === 'gate' ? 'ready' : goal,
        from,
        routing: this.settings.routing,
        readyWaitMinutes: this.settings.readyWaitMinutes,
        terminationWaitMinutes: this.settings.terminationWaitMinutes,
        testCommand,
      },
      this.rt.clock.now(),
    );
  }

  watch(goal: Goal, deadline: number, signal?: AbortSignal): Promise<WatchEnd<unknown>> {
    this.deadline = deadline;
    return this.watchOne(
      this.record.deploymentId,
      goal === 'gate' ? 'ready' : goal,
      deadline,
      this.reporter,
      signal,
    );
  }

  private noteShift(o: Observation): void {
    const percent = taskSetWeights(o.target).find((s) => s.label === 'Green')?.weight;
    if (percent !== undefined && percent !== this.shift?.percent) this.shift = { percent, since: o.at };
  }

  /**
   * The replacement task set's target group (Green in the target's taskSetsInfo) and the original's (Blue),
   * by name as CodeDeploy gives them, made ARNs with their load balancer by DescribeTargetGroups (once).
   */
  async revisionTargets(): Promise<RevisionTargets | undefined> {
    const sets = taskSetWeights(this.lastObservation?.target);
    const green = sets.find((s) => s.label === 'Green');
    const blue = sets.find((s) => s.label === 'Blue');
    if (!green?.targetGroup) return undefined;
    const names = [green.targetGroup, ...(blue?.targetGroup ? [blue.targetGroup] : [])];
    if (names.some((n) => !this.targetGroups.has(n))) {
      const found = await targetGroupsByName(this.elbv2(), names).catch(() => undefined);
      for (const [name, tg] of found ?? [])
        this.targetGroups.set(name, { targetGroupArn: tg.arn, loadBalancerArn: tg.loadBalancerArns[0] });
    }
    const g = this.targetGroups.get(green.targetGroup);
    if (!g) return undefined;
    const b = blue?.targetGroup ? this.targetGroups.get(blue.targetGroup) : undefined;
    const event = (name: string) =>
      this.lastObservation?.target?.lifecycleEvents?.find((e) => e.lifecycleEventName === name)?.status;
    return {
      green: g,
      ...(b ? { blue: b } : {}),
      productionPercent: green.weight,
      ...(this.shift?.percent === green.weight ? { productionPercentSince: this.shift.since } : {}),
      testTraffic: event('AllowTestTraffic') === 'Succeeded',
      ...(this.lastObservation?.deployment.createTime
        ? { since: this.lastObservation.deployment.createTime.getTime() }
        : {}),
    };
  }

  private async watchOne(
    deploymentId: string,
    waitUntil: Exclude<Goal, 'gate'>,
    deadline: number,
    reporter = this.reporter,
    signal?: AbortSignal,
  ): Promise<WatchEnd<Observation>> {
    const { rt } = this;
    const own = deploymentId === this.record.deploymentId;
    const outcome = await watchDeployment(
      {
        previous: own ? this.lastObservation : undefined,
        codedeploy: this.codedeploy,
        deploymentId,
        targetId: this.settings.targetId,
        waitUntil,
        deadline,
        clock: rt.clock,
        signal: eitherSignal(rt.signal, signal),
        routing: this.settings.routing,
        terminationWaitMinutes: this.settings.terminationWaitMinutes,
        holdsReplacement: this.settings.readyWaitMinutes !== undefined,
        onChange: reporter.handle,
        onLook: own
          ? async (o: Observation) => {
              this.lastObservation = o;
              this.noteShift(o);
              await this.diagnostics?.onLook(o);
            }
          : undefined,
        onTargetNotice: (message, level) => {
          if (level === 'warning' || level === undefined) return rt.warning(message);
          rt.info(message);
          // the summary's lifecycle table shows the events as last seen: its notes say why
          addNote(this.record, `${message} The lifecycle table shows the events as last read.`);
        },
        onTransientError: (operation, error, retryInMs) =>
          rt.info(
            `  (${operation}: ${errorMessage(error)} — passing AWS fault, next look in ${Math.round(retryInMs / 1000)}s)`,
          ),
      },
      this.stats,
    );
    if (own && outcome.observation) this.lastObservation = outcome.observation;
    return outcome;
  }

  absorb(observation: unknown): void {
    const o = observation as Observation | undefined;
    this.reporter.absorb(o);
    if (o) this.lastObservation = o;
    const failed = codeDeployPart(this.record).failedEvent;
    if (failed) this.record.failedStep = failed.name;
  }

  succeeded(observation: unknown): boolean {
    return (observation as Observation | undefined)?.deployment.status === 'Succeeded';
  }

  position(observation?: unknown): string {
    const o = observation as Observation | undefined;
    if (!o) return 'CodeDeploy had not answered yet';
    const parts = [`status ${o.deployment.status}`];
    const event = currentLifecycleEvent(o.target);
    if (event)
      parts.push(`${event.lifecycleEventName} ${event.status === 'InProgress' ? 'in progress' : 'next'}`);
    const weights = describeWeightsOf(o.target);
    if (weights) parts.push(`traffic ${weights}`);
    return parts.join(', ');
  }

  held(observation: unknown): string | undefined {
    const o = observation as Observation | undefined;
    if (o?.deployment.status !== 'Ready') return undefined;
    const minutes = this.settings.readyWaitMinutes;
    return `waits in Ready (test traffic on the replacement task set, production traffic untouched)${minutes !== undefined ? `; CodeDeploy stops it when the ${minutes}-minute ready wait ends` : ''}`;
  }

  stuck(observation?: unknown): string | undefined {
    const o = observation as Observation | undefined;
    return describeStuckPhase(o?.target, this.rt.clock.now(), this.record.tasksDiagnosis?.group);
  }

  async atVerdict(observation?: unknown): Promise<void> {
    await this.diagnostics?.atVerdict(observation as Observation | undefined);
  }

  /** CodeDeploy refuses a second deployment in the group (on-active-deployment): none replaces another. */
  async replaced(): Promise<string | undefined> {
    return undefined;
  }

  endedStopped(): boolean {
    return this.record.status === 'Stopped';
  }

  /**
   * The rollback CodeDeploy starts for a failed or stopped deployment, looked for as long as the deployment
   * is not final (what is left of the wait budget, at least two minutes: it can be named late) and
   * followed to its end.
   */
  async followUndoing(): Promise<void> {
    const { rt, record } = this;
    const part = codeDeployPart(record);
    const withinMs = rollbackSearchMs(this.deadline, rt.clock.now());
    const { rollbackDeploymentId, deployment } = await findRollbackDeployment(
      this.codedeploy,
      rt.clock,
      record.deploymentId,
      withinMs,
    );
    if (deployment.errorInformation) part.errorInformation = deployment.errorInformation;
    if (deployment.status) record.status = deployment.status;
    if (this.lastObservation) this.lastObservation = { ...this.lastObservation, deployment };
    if (rollbackDeploymentId) {
      setRollback(record, rollbackDeploymentId);
      await this.followRollback(rollbackDeploymentId);
      return;
    }
    const note = isDeploymentInFlight(deployment.status)
      ? `CodeDeploy still shows ${record.deploymentId} ${deployment.status} after ${Math.round(withinMs / 60_000)} min and has named no rollback yet; follow it in the console.`
      : part.failedEvent?.name === 'BeforeInstall'
        ? 'CodeDeploy started no rollback: the deployment failed before the replacement task set was created, so production never changed.'
        : "CodeDeploy started no rollback: automatic rollback is not enabled for this event (the deployment group's auto-rollback configuration, or auto-rollback-events).";
    rt.info(note);
    addNote(record, note);
  }

  /** CodeDeploy's rollback deployment, followed to its end with its own lines. */
  async followRollback(rollbackId: string): Promise<void> {
    const { rt, record } = this;
    rt.info(
      `CodeDeploy is rolling back with deployment ${rollbackId}: ${this.steering.consoleUrl(rollbackId)}`,
    );
    const rollbackRecord = newDeploymentRecord({ ...record, deploymentId: rollbackId });
    rollbackRecord.codedeploy = {
      ...codeDeployPart(record),
      events: new Map(),
      traffic: [],
      isRollback: true,
    };
    const prefixed = { ...rt, info: (message: string) => rt.info(`  rollback ${message}`) };
    const reporter = new DeploymentReporter(rollbackRecord, prefixed, () => rt.clock.now());
    try {
      const outcome = await this.watchOne(rollbackId, 'succeeded', rt.clock.now() + 30 * 60_000, reporter);
      const status = outcome.observation?.deployment.status;
      setRollback(record, rollbackId, status ?? outcome.kind);
      rt.info(`Rollback ${rollbackId}: ${status ?? outcome.kind}`);
    } catch (error) {
      setRollback(record, rollbackId, `not followed (${errorMessage(error)})`);
    }
  }

  reportFailure(level: 'error' | 'warning' = 'error'): void {
    this.reporter.reportFailure(this.lastObservation?.deployment, level);
  }

  /** Nothing to check first: the stop itself reads the deployment and leaves one that has ended. */
  async alreadyUndone(): Promise<boolean> {
    return false;
  }

  async stopAndFollowBack(why: string, followIt: boolean): Promise<boolean> {
    const { rt, record } = this;
    const stop = await stopWithRollback({ rt, steering: this.steering, record }, why, { readFirst: true });
    if (!stop) return false;
    record.status = 'Stopped';
    if (!followIt) return true;
    const withinMs = rollbackSearchMs(this.deadline, rt.clock.now());
    const found = await this.steering.findRollback(record.deploymentId, withinMs).catch(() => undefined);
    if (found) record.status = found.status;
    if (found?.rollbackId) {
      setRollback(record, found.rollbackId);
      await this.followRollback(found.rollbackId);
    } else if (found?.inFlight) {
      const late = `CodeDeploy still shows ${record.deploymentId} ${found.status} ${Math.round(withinMs / 60_000)} min after the stop and has named no rollback yet; follow it in the console: ${this.steering.consoleUrl(record.deploymentId)}`;
      rt.warning(late);
      addNote(record, late);
    }
    return true;
  }

  summary(): SummaryParts {
    return codeDeploySummary(this.record);
  }
}
