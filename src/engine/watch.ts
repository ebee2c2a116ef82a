/**
 * What both engines' watchers share (codedeploy/watcher.ts, ecs/watcher.ts): the options every watch takes,
 * how a watch ends, the error that ends it early, and its counts. `O` is the engine's observation (what
 * one look saw), `C` its change (what differs from the look before). Each watcher adds its own options.
 */

export interface WatchBase<C, O> {
  /** deployment-clock ms after which the watch gives up */
  deadline: number;
  signal?: AbortSignal;
  onChange(change: C, observation: O): void;
  /** a passing AWS fault (throttling, 5xx, dropped connection) and the retry it leads to */
  onTransientError?(operation: string, error: unknown, retryInMs: number): void;
  /** after each look, with what it saw (the stuck-tasks diagnostics read ECS here); must not throw */
  onLook?(observation: O): Promise<void> | void;
  /** what an earlier watch of this deployment last saw: only what changed since is told again */
  previous?: O;
}

/** How a watch ended: the goal reached, the deployment failed, the deadline passed, or the run cancelled. */
export type WatchEnd<O> =
  | { kind: 'reached'; observation: O }
  | { kind: 'failed'; observation: O }
  | { kind: 'timeout'; observation?: O }
  | { kind: 'aborted'; observation?: O };

/** The watch could not go on; `observation` is what it saw last. Each engine names its own subclass. */
export class WatchFailure<O> extends Error {
  constructor(
    message: string,
    readonly observation?: O,
  ) {
    super(message);
  }
}

/** The reads a watch made, and how many of them met a passing AWS fault (retried). */
export interface WatchCounts {
  calls: number;
  transientErrors: number;
  /** reads the service throttled (counted in transientErrors too) */
  throttled?: number;
}

/** A signal that aborts when either does (AbortSignal.any, which Node 20.0–20.2 lack). */
export function eitherSignal(a: AbortSignal, b?: AbortSignal): AbortSignal {
  if (!b) return a;
  if (a.aborted) return a;
  if (b.aborted) return b;
  const controller = new AbortController();
  const abort = (): void => {
    a.removeEventListener('abort', abort);
    b.removeEventListener('abort', abort);
    controller.abort();
  };
  a.addEventListener('abort', abort, { once: true });
  b.addEventListener('abort', abort, { once: true });
  return controller.signal;
}
