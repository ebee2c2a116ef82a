/**
 * The rate budget: how fast this process may read one AWS service while it follows a deployment, shared by
 * every watch of the process, adapted to what the account's throttling says. AWS throttles per account and
 * Region with a token bucket per API (ECS API Reference, *Request throttling*; docs/aws-behaviours.md): a
 * throttle is a signal about the rate of every caller of the account, not about one read. So:
 *
 * - **A token bucket** spends the poll plan's wishes: a read goes when the plan wants it and a token is there.
 *   Tokens come at the budget's rate, at most {@link CEILING_PER_MINUTE} a minute; the bucket starts with
 *   one (the first read goes at once) and holds at most {@link BURST}, saved while the plan sleeps through a known
 *   wait and spent on the short reads around a predictable change. A deployment so costs at most that many
 *   reads a minute on average (the gentle start leaves room for the first read and the free reads below).
 * - **A gentle start**: the budget begins at {@link START_PER_MINUTE} a minute (half the ceiling) and climbs
 *   along the recovery curve, as if the account had just throttled — jobs that start together do not all
 *   begin at full speed into one account.
 * - **Multiplicative decrease** on a throttle, as the SDK's adaptive mode does: to {@link DECREASE} × the rate
 *   the process really sent at (never below {@link FLOOR_PER_MINUTE}: a read at least every 15 s), at most
 *   once per {@link CUT_SPACING_S} s (a spell of throttles is one signal, as TCP cuts once per round trip).
 * - **Cubic recovery** as reads pass (the SDK's curve): back to the rate of the last cut after a quiet spell
 *   (about {@link RECOVERY_SECONDS_AT_CEILING} s from the ceiling), slowly near it, faster beyond it.
 * - **What kind of throttling this is**, learnt as it goes (a belief, by Bayes' rule, that throttles come
 *   from a *shared* limit — the account's bucket empty because many callers read — rather than at random):
 *   slowing down relieves the first and only stalls the watch in the second. Two things tell: a throttled
 *   read's *quick retry* a fraction of a second later (an empty bucket throttles it too; random throttles let
 *   it through about as often as any read), and reads throttled *while the budget is cut* (had every caller
 *   slowed down, they would mostly pass; random throttles come as often as before). Throttles count as shared
 *   at first on CodeDeploy ({@link SHARED_PRIOR}; ECS, whose limit is far above what jobs read:
 *   {@link ECS_SHARED_PRIOR}): the costly mistake in a shared account is a burst of retries that every job
 *   makes at once.
 * - **A throttled read is retried within the budget**, never after the whole plan slowed down. While throttles
 *   look shared ({@link SHARED} or more), the throttle cuts and the retry waits for a pause and a token (one
 *   streak in {@link PROBE_EVERY} still gets a quick retry: the account may change). While unsure, the retry
 *   is quick and free, and the cut follows if it is throttled too. Once throttles look random (below
 *   {@link RANDOM}) cuts are undone and a streak gets up to {@link QUICK_RETRIES} quick retries: a noisy
 *   account adds seconds, not minutes.
 * - **Jitter** (±25 %) on every wait the budget imposes, so jobs throttled at the same moment do not come
 *   back in step.
 *
 * The constants were chosen on `bench/pacing-model.ts` (this budget and the CodeDeploy watcher against a
 * simulated noisy or shared account, in virtual time) and measured on the emulator (docs/benchmarks.md).
 *
 * Why not the SDK's own DefaultRateLimiter (`@smithy/core/retry`, the adaptive retry mode's limiter), whose
 * decrease (beta) and cubic recovery this follows: it runs on the wall clock (`Date.now`, and `setTimeout`
 * through a private static hook), while the action's waits run on its deployment clock — scaled under the
 * emulator, virtual in unit tests — and must end at once when the run is cancelled; it knows no poll plan
 * (nothing can be saved for short reads, nothing caps a short deployment's reads); its constants are made
 * for services called many times a second (it gets a rate of one read in 4 s back within about a second of a
 * throttle, and never limits below 0.5 requests a second — 30 a minute per process, more than a whole
 * account's share in docs/benchmarks.md's shared-account rows); it cannot tell throttles from a shared limit
 * from throttles at random; and its state is private. The SDK's adaptive mode itself is documented as
 * experimental and meant for clients of a single throttled resource; the clients of aws/clients.ts keep
 * the standard mode.
 */
import type { Clock } from '../action/clock.js';

/** The most reads a minute the budget lets through, on average over any stretch of time. */
export const CEILING_PER_MINUTE = 20;
/** The least: however throttled, a read at least every 15 s (16 jobs at the floor read 64 times a minute). */
export const FLOOR_PER_MINUTE = 4;
/** Tokens the bucket holds: reads saved during a quiet spell for the short reads after it. */
export const BURST = 6;
/** Factor applied to the rate really sent at when throttles look shared (the SDK's beta is 0.7). */
export const DECREASE = 0.5;
/** Seconds after a cut at the ceiling the recovery takes to reach the ceiling again. */
export const RECOVERY_SECONDS_AT_CEILING = 45;
/** The pause before the quick retry of a throttled read, ms (±25 % jitter). */
export const QUICK_RETRY_MS = 300;
/** The pause before retrying a read throttled again, ms (±25 % jitter), on top of the wait for a token. */
export const RETRY_MS = 1500;
/**
 * How likely throttles are to come from a *shared* limit (the account's bucket empty because many callers
 * read: slowing down helps) rather than at random (slowing down only stalls the watch), before anything
 * told. CodeDeploy publishes no limit and users report throttling near 40 GetDeployment calls a minute, so a
 * few jobs of one account can empty it: its throttles count as shared at first.
 */
export const SHARED_PRIOR = 0.85;
/**
 * The same for ECS, whose documented bucket for DescribeServiceDeployments refills 20 a second per account
 * (docs/aws-behaviours.md): sixty jobs at this budget's ceiling would not empty it, so a throttle is as
 * likely to come from something else as from the jobs' own rate. Unsure: the first throttle gets its quick
 * retry, which tells.
 */
export const ECS_SHARED_PRIOR = 0.5;
/** The chance a quick retry is throttled too when the account's bucket is empty. */
export const QUICK_THROTTLED_IF_SHARED = 0.9;
/** The chance a read is throttled while the budget is cut, when the limit is shared (everyone slowed down). */
export const THROTTLED_WHEN_CUT_IF_SHARED = 0.2;
/** Belief from which a throttle cuts at once, with no quick retry but one streak in PROBE_EVERY. */
export const SHARED = 0.7;
/** Belief below which cuts are undone: throttles come at random. */
export const RANDOM = 0.3;
/** Once throttles look shared, one streak in this many still gets its quick retry (the account may change). */
export const PROBE_EVERY = 4;
/** Throttles within this many seconds of a cut do not cut again (one cut per spell, as TCP's once per round trip). */
export const CUT_SPACING_S = 20;
export const QUICK_RETRIES = 3;
export const START_PER_MINUTE = 10;
/** The share of reads throttled from which a throttle tells nothing of its kind. */
export const SATURATED = 0.7;
/** Weight of each read in the share of reads throttled. */
const SHARE_WEIGHT = 0.25;

/** ±25 % jitter. */
export function jitter(ms: number, random: () => number): number {
  return ms * (0.75 + random() / 2);
}

const CEILING = CEILING_PER_MINUTE / 60;
const FLOOR = FLOOR_PER_MINUTE / 60;
/**
 * The cubic's scale (rate per second per s³): the SDK's formula rate = C·(t − W)³ + lastMax, W the time to get
 * back to lastMax, with C chosen so that W is RECOVERY_SECONDS_AT_CEILING after a cut at the ceiling.
 */
const CUBIC_SCALE = (CEILING * (1 - DECREASE)) / RECOVERY_SECONDS_AT_CEILING ** 3;
/** Sends remembered to measure the rate really sent at. */
const MEASURED_SENDS = 8;

export interface RateBudgetState {
  /** the budget's rate, reads a minute */
  perMinute: number;
  /** tokens in the bucket */
  tokens: number;
  /** how likely throttles come from a shared limit (not at random), 0..1 */
  shared: number;
  /** reads recorded as passed and as throttled */
  passed: number;
  throttled: number;
}

/** How a budget starts: one token (the watch's first read goes at once) at half the ceiling, by default. */
export interface RateBudgetStart {
  tokens?: number;
  perMinute?: number;
  /** the belief that throttles are shared before any told (default SHARED_PRIOR) */
  sharedPrior?: number;
}

/** Bayes' rule for the belief that throttles are shared, kept off 0 and 1 so evidence can move it back. */
function update(belief: number, ifShared: number, ifRandom: number): number {
  const b = (belief * ifShared) / (belief * ifShared + (1 - belief) * Math.max(ifRandom, 0.05));
  return Math.min(0.95, Math.max(0.05, b));
}

export class RateBudget {
  /** tokens a second */
  private rate = CEILING;
  private tokens: number;
  private refilledAt: number;
  /** the rate before the last cut (the cubic's plateau) and when the cut came, in seconds */
  private lastMax = CEILING;
  private lastCutAt: number;
  /** when the last cut came (not the gentle start), s */
  private cutAt = Number.NEGATIVE_INFINITY;
  private quickInStreak = 0;
  /** P(throttles come from a shared, empty bucket) */
  private shared: number;
  /** the share of reads throttled lately (every attempt) */
  private share = 0.5;
  /** what the read being sent is: a first attempt, the quick retry of a throttled one, a later retry */
  private attempt: 'first' | 'quick' | 'retry' = 'first';
  private streaks = 0;
  /** the next read is the quick retry of a throttled read: it does not wait for a token */
  private quickRetry = false;
  private readonly sends: number[] = [];
  private readonly counts = { passed: 0, throttled: 0 };

  constructor(
    private readonly clock: Clock,
    start: RateBudgetStart = {},
    private readonly random: () => number = () => Math.random(),
  ) {
    this.refilledAt = clock.now();
    this.tokens = start.tokens ?? 1;
    this.shared = start.sharedPrior ?? SHARED_PRIOR;
    this.setRate((start.perMinute ?? START_PER_MINUTE) / 60);
    // the gentle start: as if the account had throttled at the ceiling just now
    this.lastCutAt = clock.now() / 1000;
  }

  state(): RateBudgetState {
    this.refill();
    return { perMinute: this.rate * 60, tokens: this.tokens, shared: this.shared, ...this.counts };
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(BURST, this.tokens + ((now - this.refilledAt) / 1000) * this.rate);
    this.refilledAt = now;
  }

  /** ms until a token is there (0 when one is), jittered: the budget, not the plan, sets this pace */
  private tokenWaitMs(): number {
    this.refill();
    if (this.tokens >= 1 - 1e-6) return 0;
    // whole milliseconds: a clock at 1.7e12 ms cannot move by less than a fraction of one
    return Math.ceil(jitter(((1 - this.tokens) / this.rate) * 1000, this.random));
  }

  /**
   * Waits for what the plan wants (`wishMs` from now) and for a token, whichever is later, then spends the
   * token. Two reads do not wait for a token: the quick retry of a throttled read and a read marked `urgent`
   * (the re-read that tells the verdict); each spends a token if there is one and otherwise goes free. Never
   * waits past `until` (the watch's deadline: its last look goes then, token or not) and ends early when
   * `signal` aborts (nothing spent).
   */
  async spend(
    wishMs: number,
    options: { signal?: AbortSignal; until?: number; urgent?: boolean } = {},
  ): Promise<void> {
    const free = this.quickRetry || options.urgent === true;
    this.quickRetry = false;
    for (;;) {
      const left = options.until === undefined ? Number.POSITIVE_INFINITY : options.until - this.clock.now();
      const tokenWaitMs = free ? 0 : this.tokenWaitMs();
      const waitMs = Math.min(Math.max(wishMs, tokenWaitMs), Math.max(0, left));
      if (waitMs <= 0) break;
      await this.clock.sleep(waitMs, options.signal);
      if (options.signal?.aborted) return;
      // the (jittered) wait for a token is served: a token short by the jitter is owed, not waited for
      if (waitMs >= tokenWaitMs) break;
      wishMs = 0;
    }
    this.refill();
    // a read that did not wait (a quick retry, the verdict's re-read) spends a token when there is one and
    // goes free otherwise: borrowing would delay the reads after it (bench/pacing-model.ts: a quiet
    // account's worst notice 3 s → 6 s) to save calls the account mostly throttles anyway
    if (!free || this.tokens >= 1 - 1e-6) this.tokens -= 1;
    this.sends.push(this.clock.now());
    if (this.sends.length > MEASURED_SENDS) this.sends.shift();
  }

  /** The rate (per second) the process really sent at lately; the budget's own rate when unknown. */
  private measuredRate(): number {
    const first = this.sends[0];
    const last = this.sends[this.sends.length - 1];
    if (first === undefined || last === undefined || this.sends.length < 3) return this.rate;
    const spanS = (last - first) / 1000;
    return spanS < 1 ? this.rate : (this.sends.length - 1) / spanS;
  }

  private setRate(perSecond: number): void {
    this.refill();
    this.rate = Math.min(CEILING, Math.max(FLOOR, perSecond));
  }

  /**
   * The budget is below the rate of its last cut and has not recovered yet. The gentle start counts: a read
   * throttled at half the ceiling, before any cut, says as much of the account as one throttled after it.
   */
  private cutInEffect(): boolean {
    return this.rate < 0.9 * this.lastMax;
  }

  /** Cuts the rate, the more the likelier throttles come from a shared limit (not at all while random). */
  private cut(): void {
    const weight = Math.min(1, Math.max(0, (this.shared - RANDOM) / (SHARED - RANDOM)));
    if (weight === 0) return;
    const nowS = this.clock.now() / 1000;
    if (nowS - this.cutAt < CUT_SPACING_S) return;
    this.cutAt = nowS;
    const sending = Math.min(this.rate, this.measuredRate());
    this.lastMax = Math.max(sending, FLOOR);
    this.lastCutAt = this.clock.now() / 1000;
    this.setRate(sending * (1 - (1 - DECREASE) * weight));
    // tokens saved before are no use against an account whose bucket is empty (the SDK's limiter too
    // caps its bucket when it cuts): at most one is kept
    this.tokens = Math.min(this.tokens, 1);
  }

  /** Throttles look random: the cuts they led to are undone. */
  private undoCuts(): void {
    if (this.shared >= RANDOM || this.rate >= CEILING) return;
    this.lastMax = CEILING;
    this.setRate(CEILING);
  }

  /** A read was answered: the rate recovers along the cubic; a quick retry that passes ends its streak. */
  passed(): void {
    this.counts.passed++;
    // a quick retry that passes: the bucket was not empty
    if (this.attempt === 'quick')
      this.shared = update(this.shared, 1 - QUICK_THROTTLED_IF_SHARED, 1 - this.share);
    this.share *= 1 - SHARE_WEIGHT;
    this.attempt = 'first';
    this.undoCuts();
    const t = this.clock.now() / 1000 - this.lastCutAt;
    const w = Math.cbrt((this.lastMax * (1 - DECREASE)) / CUBIC_SCALE);
    this.setRate(Math.max(this.rate, CUBIC_SCALE * (t - w) ** 3 + this.lastMax));
  }

  /**
   * The account throttled a read. What it tells: a quick retry throttled too says the bucket is empty (a
   * shared limit) unless reads are throttled about as often anyway; a first attempt throttled while the
   * budget is cut says the limit is not one that slowing down relieves. While throttles look shared, the
   * first of a streak cuts at once and its retry waits for the budget; while unsure, it gets a quick retry
   * that tells, and the cut follows if that retry is throttled too. Returns the pause before retrying the
   * read (ms); the retry then waits for a token too, unless it is the quick one.
   */
  throttled(): number {
    this.counts.throttled++;
    const attempt = this.attempt;
    if (attempt === 'quick') {
      this.shared = update(this.shared, QUICK_THROTTLED_IF_SHARED, this.share);
      this.share = this.share * (1 - SHARE_WEIGHT) + SHARE_WEIGHT;
      if (this.shared < RANDOM && ++this.quickInStreak < QUICK_RETRIES) {
        this.quickRetry = true;
        return jitter(QUICK_RETRY_MS, this.random);
      }
      this.cut();
      this.attempt = 'retry';
      return jitter(RETRY_MS, this.random);
    }
    // a read that waited for the budget (a first attempt, or a later retry) throttled while the budget is
    // cut: everyone slowed down would have let it through, more often than throttles come anyway
    // (not when nearly every read is throttled: then nothing tells, and slowing down costs nothing)
    if (this.cutInEffect() && this.share < SATURATED)
      this.shared = update(this.shared, THROTTLED_WHEN_CUT_IF_SHARED, this.share);
    this.share = this.share * (1 - SHARE_WEIGHT) + SHARE_WEIGHT;
    this.undoCuts();
    if (attempt === 'retry') {
      this.cut();
      return jitter(RETRY_MS, this.random);
    }
    this.streaks++;
    this.quickInStreak = 0;
    if (this.shared < SHARED || this.streaks % PROBE_EVERY === 0) {
      this.attempt = 'quick';
      this.quickRetry = true;
      return jitter(QUICK_RETRY_MS, this.random);
    }
    this.cut();
    this.attempt = 'retry';
    return jitter(RETRY_MS, this.random);
  }
}

const budgets = new WeakMap<Clock, Map<string, RateBudget>>();

/**
 * The budget of this process (its clock) for one service: every watch of the process shares it. `start`
 * applies when this call makes it (tests of the poll plan start with a full bucket at the ceiling).
 */
export function rateBudget(clock: Clock, service: 'codedeploy' | 'ecs', start?: RateBudgetStart): RateBudget {
  let byService = budgets.get(clock);
  if (!byService) budgets.set(clock, (byService = new Map()));
  let budget = byService.get(service);
  if (!budget)
    byService.set(
      service,
      (budget = new RateBudget(clock, {
        sharedPrior: service === 'ecs' ? ECS_SHARED_PRIOR : SHARED_PRIOR,
        ...start,
      })),
    );
  return budget;
}
