/**
 * Follows one ECS service deployment for the commands (src/engine/engine.ts Follower): the watcher and the
 * reporter behind engine-neutral calls, the stuck scale-up diagnostics, what undoes a failed deployment —
 * its own rollback, a status of the same deployment (ROLLBACK_REQUESTED → ROLLBACK_IN_PROGRESS →
 * ROLLBACK_SUCCESSFUL), followed to its end — the stop with rollback, and the summary's ECS parts.
 *
 * An `undo` follower (the rollback action) follows a deployment being undone: its goal is the end, and
 * it succeeds when the rollback does (ROLLBACK_SUCCESSFUL); any other end is a failure.
 * A `stopAt` ends a watch early, as reached (promote: one promote, one pause).
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { AwsRuntime } from '../../aws/clients.js';
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
import { describeService } from '../../aws/ecs-reads.js';
import { stopWithRollback } from '../../engine/stop.js';
import { StuckTasksDiagnostics } from '../../engine/stuck-tasks.js';
import { utcClock } from '../../record/format.js';
import { addNote, setRollback, type DeploymentRecord } from '../../record/record.js';
import { scaleUpSubject } from './diagnostics.js';
import {
  awaitingPauseHook,
  describeEcsPosition,
  describeReplacement,
  isEcsDeploymentInFlight,
  isReplacedDeployment,
  isRollingBack,
  type EcsObservation,
} from './progress.js';
import { describeServiceRevision, findReplacingDeployment, parseServiceDeploymentArn } from './reads.js';
import { EcsReporter, ecsPart } from './reporter.js';
import { ecsSteering } from './steering.js';
import { ecsSummary } from './summary.js';
import { ecsWaitBudget } from './wait-budget.js';
import { watchEcsDeployment } from './watcher.js';
import type { DeploymentConfiguration, ServiceDeployment } from '@aws-sdk/client-ecs';

/** How long a rollback is followed after the deployment turned to it (ECS moves weights back and scales down). */
export const ROLLBACK_FOLLOW_MS = 30 * 60_000;

export interface EcsFollowSettings {
  strategy: string;
  /** the deployment configuration, for the wait budget (step bakes, bake time) */
  config?: DeploymentConfiguration;
  /** explain a stuck scale-up (the deploy command), with the service's health check grace period */
  stuckTasks?: { healthCheckGracePeriodSeconds?: number };
  /** follows the undoing of the deployment (the rollback action) */
  undo?: boolean;
}

export class EcsFollower implements Follower {
  readonly stats: WatchCounts = { calls: 0, transientErrors: 0 };
  readonly reporter: EcsReporter;
  lastObservation?: EcsObservation;
  /** the new revision's production share and when a look first showed it (health checks place shifts by it) */
  private shift?: { percent: number; since: number };
  /** the target groups of this deployment's revisions, once read */
  private targets?: Promise<RevisionTargets | undefined>;
  /** ends a watch early, as reached (watcher.ts stopAt) */
  stopAt?: (observation: EcsObservation) => boolean;
  private readonly diagnostics?: StuckTasksDiagnostics<EcsObservation>;

  readonly steering: Steering;
  private readonly rt: AwsRuntime;
  private readonly ecs: ECSClient;

  constructor(
    readonly engine: Engine,
    ctx: EngineContext,
    readonly record: DeploymentRecord,
    private readonly settings: EcsFollowSettings,
  ) {
    const { rt, clients } = ctx;
    this.rt = rt;
    this.ecs = clients.ecs;
    this.steering = ecsSteering(clients.ecs, rt.clock);
    ecsPart(record).strategy = settings.strategy;
    this.reporter = new EcsReporter(record, rt, () => rt.clock.now());
    if (settings.stuckTasks)
      this.diagnostics = new StuckTasksDiagnostics(
        rt,
        record,
        { ecs: clients.ecs, ...settings.stuckTasks },
        scaleUpSubject,
      );
  }

  budget(goal: Goal, waitForMinutes: number, _from: BudgetFrom) {
    return ecsWaitBudget(
      { waitForMinutes, waitUntil: this.settings.undo ? 'succeeded' : goal, config: this.settings.config },
      this.rt.clock.now(),
    );
  }

  async watch(goal: Goal, deadline: number, signal?: AbortSignal): Promise<WatchEnd<unknown>> {
    const outcome = await this.watchTo(this.settings.undo ? 'end' : goal, deadline, signal);
    // Undoing: the end is a success only when the rollback succeeded.
    if (this.settings.undo && outcome.kind === 'reached' && !this.succeeded(outcome.observation))
      return { kind: 'failed', observation: outcome.observation };
    return outcome;
  }

  /**
   * The source revision's target group (its resolvedConfiguration: the group that served it) is blue; the
   * other of the service's targetGroupArn and alternateTargetGroupArn serves the new revision — unless the
   * target revision's resolvedConfiguration names its own. Read once per deployment (DescribeServiceRevisions,
   * DescribeServices); the LoadBalancer dimension comes from the production listener rule's ARN.
   */
  async revisionTargets(): Promise<RevisionTargets | undefined> {
    const d = this.lastObservation?.deployment;
    if (!d) return undefined;
    this.targets ??= this.readRevisionTargets(d).catch(() => undefined);
    const targets = await this.targets;
    if (!targets) {
      this.targets = undefined;
      return undefined;
    }
    const t = d.targetServiceRevision;
    return {
      ...targets,
      productionPercent: t?.requestedProductionTrafficWeight,
      ...(this.shift !== undefined && this.shift.percent === t?.requestedProductionTrafficWeight
        ? { productionPercentSince: this.shift.since }
        : {}),
      testTraffic: (t?.requestedTestTrafficWeight ?? 0) > 0,
      ...(d.createdAt ? { since: d.createdAt.getTime() } : {}),
    };
  }

  private async readRevisionTargets(d: ServiceDeployment): Promise<RevisionTargets | undefined> {
    const { clock } = this.rt;
    const resolved = async (arn: string | undefined) =>
      arn
        ? (await describeServiceRevision(this.ecs, clock, arn))?.resolvedConfiguration?.loadBalancers?.[0]
        : undefined;
    const source = await resolved(d.sourceServiceRevisions?.[0]?.arn);
    const target = await resolved(d.targetServiceRevision?.arn);
    const where = parseServiceDeploymentArn(this.record.deploymentId);
    const service = where ? await describeService(this.ecs, where.cluster, where.service) : undefined;
    const lb = service?.loadBalancers?.find((l) => l.advancedConfiguration?.alternateTargetGroupArn);
    const pair = [lb?.targetGroupArn, lb?.advancedConfiguration?.alternateTargetGroupArn].filter(
      (arn): arn is string => arn !== undefined,
    );
    const blueArn = source?.targetGroupArn ?? pair[0];
    const greenArn =
      target?.targetGroupArn && target.targetGroupArn !== blueArn
        ? target.targetGroupArn
        : pair.find((arn) => arn !== blueArn);
    if (!greenArn) return undefined;
    const listener =
      target?.productionListenerRule ??
      source?.productionListenerRule ??
      lb?.advancedConfiguration?.productionListenerRule;
    return {
      green: { targetGroupArn: greenArn, ...(listener ? { loadBalancerArn: listener } : {}) },
      ...(blueArn
        ? { blue: { targetGroupArn: blueArn, ...(listener ? { loadBalancerArn: listener } : {}) } }
        : {}),
    };
  }

  private async watchTo(
    goal: Goal | 'end',
    deadline: number,
    signal?: AbortSignal,
  ): Promise<WatchEnd<EcsObservation>> {
    const { rt } = this;
    const outcome = await watchEcsDeployment(
      {
        ecs: this.ecs,
        arn: this.record.deploymentId,
        goal,
        strategy: this.settings.strategy,
        deadline,
        clock: rt.clock,
        signal: eitherSignal(rt.signal, signal),
        previous: this.lastObservation,
        stopAt: this.stopAt,
        onChange: this.reporter.handle,
        onLook: async (o: EcsObservation) => {
          this.lastObservation = o;
          const percent = o.deployment.targetServiceRevision?.requestedProductionTrafficWeight;
          if (percent !== undefined && percent !== this.shift?.percent) this.shift = { percent, since: o.at };
          await this.diagnostics?.onLook(o);
        },
        onTransientError: (operation, error, retryInMs) =>
          rt.info(
            `  (${operation}: ${errorMessage(error)} — passing AWS fault, next look in ${Math.round(retryInMs / 1000)}s)`,
          ),
      },
      this.stats,
    );
    if (outcome.observation) this.lastObservation = outcome.observation;
    return outcome;
  }

  absorb(observation: unknown): void {
    const o = observation as EcsObservation | undefined;
    this.reporter.absorb(o);
    if (o) this.lastObservation = o;
    this.noteRollback();
  }

  /** ECS rolls back the same deployment: the record's rollback is the deployment itself, with its status. */
  private noteRollback(): void {
    const { record } = this;
    const part = ecsPart(record);
    if (part.rollbackStage) record.failedStep = part.rollbackStage;
    if (record.status?.startsWith('ROLLBACK_')) setRollback(record, record.deploymentId, record.status);
  }

  succeeded(observation: unknown): boolean {
    const status = (observation as EcsObservation | undefined)?.deployment.status;
    return this.settings.undo ? status === 'ROLLBACK_SUCCESSFUL' : status === 'SUCCESSFUL';
  }

  position(observation?: unknown): string {
    return describeEcsPosition((observation as EcsObservation | undefined)?.deployment);
  }

  held(observation: unknown): string | undefined {
    const d = (observation as EcsObservation | undefined)?.deployment;
    if (!d || !isEcsDeploymentInFlight(d.status) || isRollingBack(d)) return undefined;
    const hook = awaitingPauseHook(d);
    if (!hook) return undefined;
    return `waits in pause hook ${hook.hookId ?? '?'} at ${d.lifecycleStage ?? '?'}${hook.expiresAt instanceof Date ? ` until ${utcClock(hook.expiresAt.getTime())} (then ${hook.timeoutAction ?? 'ROLLBACK'})` : ''}`;
  }

  stuck(): string | undefined {
    return undefined;
  }

  async atVerdict(observation?: unknown): Promise<void> {
    await this.diagnostics?.atVerdict(observation as EcsObservation | undefined);
  }

  /** ECS stopped it for a newer deployment of the service: which one and when (never stopped or rolled back by us). */
  async replaced(): Promise<string | undefined> {
    const last = this.lastObservation?.deployment;
    if (!last || !isReplacedDeployment(last)) return undefined;
    const by = await findReplacingDeployment(this.ecs, this.rt.clock, last);
    if (by?.serviceDeploymentArn) ecsPart(this.record).replacedBy = by.serviceDeploymentArn;
    return describeReplacement(last, by);
  }

  endedStopped(): boolean {
    return this.record.status === 'STOPPED';
  }

  /** The deployment turned to a stop or a rollback: follow it to its end. */
  async followUndoing(): Promise<void> {
    const { rt, record } = this;
    if (!isEcsDeploymentInFlight(record.status)) return;
    const outcome = await this.watchTo('end', rt.clock.now() + ROLLBACK_FOLLOW_MS).catch((error: unknown) => {
      addNote(record, `The rollback was not followed to its end: ${errorMessage(error)}`);
      return undefined;
    });
    this.absorb(outcome?.observation);
    if (outcome && outcome.kind !== 'reached')
      addNote(
        record,
        `The rollback was still ${record.status ?? 'running'} when the action stopped following it.`,
      );
  }

  reportFailure(level: 'error' | 'warning' = 'error'): void {
    this.reporter.reportFailure(this.lastObservation?.deployment, level);
  }

  async alreadyUndone(): Promise<boolean> {
    const d = this.lastObservation?.deployment;
    if (!d || (isEcsDeploymentInFlight(d.status) && !isRollingBack(d))) return false;
    if (isRollingBack(d) && isEcsDeploymentInFlight(d.status)) await this.followUndoing();
    return true;
  }

  async stopAndFollowBack(why: string, followIt: boolean): Promise<boolean> {
    const { rt, record } = this;
    const stop = await stopWithRollback({ rt, steering: this.steering, record }, why, {
      refusalStatus: true,
    });
    if (!stop) return false;
    record.status = stop.status ?? 'ROLLBACK_REQUESTED';
    if (followIt) await this.followUndoing();
    return true;
  }

  summary(): SummaryParts {
    return ecsSummary(this.record);
  }
}
