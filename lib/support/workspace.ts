import { rm } from 'node:fs/promises';
import { tempDirectory } from './cleanup.js';

/** What a workspace ends by force at teardown: an actor's channel, a host. */
export interface Killable {
  kill(): Promise<void>;
}

export interface Workspace<C extends Killable = Killable> {
  /** A fresh temporary directory for the shared file and the lock. */
  dir: string;
  /** Aborted at teardown: actors stop waiting on their locks. */
  signal: AbortSignal;
  /** Hands over the running workers: whatever is still held at teardown is ended by force. */
  hold(channels: C[]): void;
  /** Takes them back once they were closed properly. */
  letGo(): C[];
}

/**
 * The life of a run of actors (a case, a stress scenario): a temporary directory and the workers
 * in it, all ended and removed when the body returns or throws, and at process exit at the latest.
 */
export async function withWorkspace<T, C extends Killable = Killable>(prefix: string, body: (ws: Workspace<C>) => Promise<T>, base?: string): Promise<T> {
  const { dir, forget } = tempDirectory(prefix, base);
  const teardown = new AbortController();
  let channels: C[] = [];
  try {
    return await body({
      dir,
      signal: teardown.signal,
      hold: (c) => {
        channels = c;
      },
      letGo: () => {
        const held = channels;
        channels = [];
        return held;
      },
    });
  } finally {
    teardown.abort();
    await Promise.allSettled(channels.map((c) => c.kill()));
    await rm(dir, { recursive: true, force: true });
    forget();
  }
}
