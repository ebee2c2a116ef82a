/**
 * Time as the action sees it. On GitHub it is the wall clock. The project's local emulator can run a
 * deployment N times faster than real time; it then starts the action with ECS_DEPLOY_CLOCK_SCALE=N and
 * ECS_DEPLOY_CLOCK_EPOCH=<ms since 1970 when scaling began>, and both sides agree on one virtual clock:
 *   virtualNow = epoch + (Date.now() - epoch) * scale
 * so a five-minute canary passes in 5/N real minutes while every timestamp and every poll interval the
 * action reasons about stays in deployment time.
 */
export interface Clock {
  /** milliseconds since 1970 on the deployment's clock */
  now(): number;
  /** wait `ms` milliseconds of deployment time; resolves early when `signal` aborts */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** how many deployment-time milliseconds pass in one real millisecond (1 on GitHub) */
  readonly scale: number;
}

export function createClock(scale = 1, epochMs = Date.now()): Clock {
  if (!Number.isFinite(scale) || scale <= 0)
    throw new Error(`clock scale must be a positive number, got ${scale}`);
  return {
    scale,
    now: () => (scale === 1 ? Date.now() : epochMs + (Date.now() - epochMs) * scale),
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted || ms <= 0) return resolve();
        const timer = setTimeout(done, ms / scale);
        function done(): void {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        }
        signal?.addEventListener('abort', done, { once: true });
      }),
  };
}

/** The clock from the environment: the wall clock unless the emulator asked for a scaled one. */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const scale = Number(env.ECS_DEPLOY_CLOCK_SCALE ?? '1');
  const epoch = Number(env.ECS_DEPLOY_CLOCK_EPOCH ?? Date.now());
  return createClock(
    Number.isFinite(scale) && scale > 0 ? scale : 1,
    Number.isFinite(epoch) ? epoch : Date.now(),
  );
}
