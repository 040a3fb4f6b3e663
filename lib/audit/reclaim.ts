import type { Lock } from '../locks/types.js';
import { retryWithin } from '../locks/wait.js';
import { withStepHook } from '../writes/trace.js';

const REMOVALS = new Set(['unlink', 'rmdir', 'rm']);

/**
 * Attempts the lock, holding the attempt just before it removes anything (which, for a lock that is
 * not free, is the stale lock being reclaimed): `onPause` hears the step and returns when to go on.
 * Tries again while the lock is not yet stale, up to `boundMs`; with 0, a single attempt. Resolves
 * with whether the lock was got, and the step it was held at, if any.
 */
export async function reclaimWithPause(lock: Lock, boundMs: number, onPause: (step: string) => Promise<void>): Promise<{ held: boolean; step?: string; unholdable?: string }> {
  let end: { held: boolean; step?: string; unholdable?: string } | undefined;
  const attempt = async (): Promise<boolean> => {
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
    if (unholdable !== undefined) end = { held, unholdable };
    else if (held || step !== undefined) end = { held, ...(step !== undefined ? { step } : {}) };
    return end !== undefined;
  };
  if (boundMs === 0) await attempt();
  else await retryWithin(attempt, boundMs, { maxPollMs: 20 });
  return end ?? { held: false };
}
