import { setTimeout as delay } from 'node:timers/promises';
import type { Lock } from '../locks/types.js';
import { withStepHook } from '../writes/trace.js';

const REMOVALS = new Set(['unlink', 'rmdir', 'rm']);

/**
 * Attempts the lock, holding the attempt just before it removes anything (which, for a lock that is
 * not free, is the stale lock being reclaimed): `onPause` hears the step and returns when to go on.
 * Tries again while the lock is not yet stale, up to `boundMs`; with 0, a single attempt. Resolves
 * with whether the lock was got, and the step it was held at, if any.
 */
export async function reclaimWithPause(lock: Lock, boundMs: number, onPause: (step: string) => Promise<void>): Promise<{ held: boolean; step?: string; unholdable?: string }> {
  const limit = AbortSignal.timeout(Math.max(boundMs, 1));
  for (;;) {
    let step: string | undefined;
    let unholdable: string | undefined;
    const held = await withStepHook(
      (s) => {
        if (step !== undefined || unholdable !== undefined || !REMOVALS.has(s.op)) return;
        const name = `${s.op} ${s.detail.replace(/.*\//, '')}`;
        // A synchronous removal cannot be held: the attempt runs through, and says so.
        if (s.sync) return void (unholdable = name);
        step = name;
        return onPause(step);
      },
      async () => Boolean(await lock.tryAcquire()),
    );
    if (unholdable !== undefined) return { held, unholdable };
    if (held || step !== undefined || boundMs === 0 || limit.aborted) return { held, ...(step !== undefined ? { step } : {}) };
    await delay(20, undefined, { signal: limit }).catch(() => {});
  }
}
