import { describe, expect, it } from '@jest/globals';
import { clockFromEnv, createClock } from '../../../src/action/clock.js';

describe('clock', () => {
  it('runs a scaled clock faster than the wall clock from the shared epoch', async () => {
    const epoch = Date.now() - 1000;
    const clock = createClock(60, epoch);
    const before = clock.now();
    // one real second since the epoch is a minute of deployment time
    expect(before - epoch).toBeGreaterThanOrEqual(60_000);
    const started = Date.now();
    await clock.sleep(3000); // 3 s deployment time = 50 ms real
    expect(Date.now() - started).toBeLessThan(1000);
    expect(clock.now() - before).toBeGreaterThanOrEqual(2900);
  });

  it('wakes a sleep early when its signal aborts', async () => {
    const clock = createClock(1);
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 20);
    await clock.sleep(60_000, controller.signal);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reads the scale and epoch the emulator exports, and ignores nonsense', () => {
    expect(clockFromEnv({ ECS_DEPLOY_CLOCK_SCALE: '20', ECS_DEPLOY_CLOCK_EPOCH: '1000' }).scale).toBe(20);
    expect(clockFromEnv({ ECS_DEPLOY_CLOCK_SCALE: 'fast' }).scale).toBe(1);
    expect(clockFromEnv({}).scale).toBe(1);
  });
});
