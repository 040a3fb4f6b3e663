import { watch } from 'node:fs';
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';
import { integerIn } from '../support/check.js';

export interface WaitOptions {
  signal: AbortSignal;
  /** Longest pause between two attempts, in ms: the bound on how late a silent release is seen. */
  maxPollMs?: number;
  /**
   * Subscribes to a hint that the lock may have been released; returns the unsubscribe.
   * The hint only cuts the pause short: the next attempt still decides.
   */
  wake?: (onHint: () => void) => () => void;
}

/**
 * Repeats a non-blocking attempt until it succeeds. It never parks a thread of libuv's pool
 * (a blocking lock wait there stalls every other fs call of the process): the pause between
 * attempts grows from an immediate to `maxPollMs`, and a wake hint ends it early.
 */
export async function retryUntil(attempt: () => boolean | Promise<boolean>, options: WaitOptions): Promise<void> {
  const { signal, maxPollMs = 8 } = options;
  let hinted = false;
  let interrupt: (() => void) | undefined;
  const unsubscribe = options.wake?.(() => {
    hinted = true;
    interrupt?.();
  });
  try {
    for (let round = 0; ; round++) {
      signal.throwIfAborted();
      if (await attempt()) return;
      if (hinted) {
        hinted = false;
        continue;
      }
      if (round < 2) {
        await immediate(undefined, { signal });
        continue;
      }
      const pause = Math.min(maxPollMs, 2 ** (round - 2));
      const controller = new AbortController();
      interrupt = () => controller.abort();
      const onAbort = (): void => controller.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        await sleep(pause, undefined, { signal: controller.signal });
      } catch {
        // woken early by a hint or by the case's signal; the loop head tells which
      } finally {
        signal.removeEventListener('abort', onAbort);
        interrupt = undefined;
      }
      hinted = false;
    }
  } finally {
    unsubscribe?.();
  }
}

/**
 * retryUntil with a time limit: true once the attempt succeeds, false if `ms` pass first (or the
 * signal aborts).
 */
export async function retryWithin(attempt: () => boolean | Promise<boolean>, ms: number, options: Partial<WaitOptions> = {}): Promise<boolean> {
  // Not AbortSignal.timeout: AbortSignal.any holds its sources weakly, and on Node 20 a timeout
  // signal nothing else holds can be collected before it fires, leaving the wait unbounded. The
  // timer's closure holds this controller until it fires or is cleared.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), ms);
  const limit = options.signal ? AbortSignal.any([deadline.signal, options.signal]) : deadline.signal;
  try {
    await retryUntil(attempt, { ...options, signal: limit });
    return true;
  } catch (error) {
    // The wait's own end; an attempt's error stays an error, even one thrown after the deadline.
    if (limit.aborted && (error === limit.reason || (error as Error).name === 'AbortError')) return false;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A wake hint from inotify: any change to `path` (a file, or a directory whose entries change).
 * Events arrive on the event loop, so waiting on them costs no thread.
 */
export function wakeOnChange(path: string): NonNullable<WaitOptions['wake']> {
  return (hint) => {
    const watcher = watch(path, { persistent: false }, hint);
    watcher.on('error', () => {});
    return () => watcher.close();
  };
}

/** The check of `maxPollMs`, the option every polling lock has. */
export function checkPollOptions(lock: string, options: { maxPollMs: number }): void {
  integerIn(`${lock} lock option maxPollMs`, options.maxPollMs, 1, 1_000);
}
