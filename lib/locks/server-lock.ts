import { InvalidOptionError } from '../errors.js';
import { integerIn } from '../support/check.js';
import { serverUrlFromEnv, type ServerKind } from '../servers/types.js';
import { checkPollOptions, retryUntil } from './wait.js';
import type { Lock, LockAdapter, LockContext } from './types.js';
import { serverPrograms } from '../servers/binaries.js';

/** Options of every lock on a server: where it is (empty: a server contend starts), and the polling. */
export interface ServerLockOptions {
  /** The server's URL; empty: contend starts a throwaway server for the run and fills it in. */
  url: string;
  maxPollMs: number;
}

/** A lease also ends by itself: this long after it was taken (or last renewed), ms. */
export interface LeaseLockOptions extends ServerLockOptions {
  ttlMs: number;
}

const SCHEMES: Record<ServerKind, string[]> = { postgres: ['postgres://', 'postgresql://'], redis: ['redis://'], etcd: ['http://', 'https://'] };

export function checkServerLockOptions(lock: string, server: ServerKind, options: ServerLockOptions & Partial<LeaseLockOptions>, minTtlMs = 1): void {
  if (options.url !== '' && !SCHEMES[server].some((s) => options.url.startsWith(s))) {
    throw new InvalidOptionError(`${lock} lock option url`, `empty (contend starts a ${server} server) or a URL starting with ${SCHEMES[server].join(' or ')}`, options.url);
  }
  checkPollOptions(lock, options);
  if (options.ttlMs !== undefined) integerIn(`${lock} lock option ttlMs`, options.ttlMs, minTtlMs, 2 ** 31 - 1);
}

/**
 * The name a case's lock has on the server: its lock path, which is the case's own, so cases (and
 * runs) sharing one server never share a lock.
 */
export const serverLockKey = (ctx: LockContext): string => `contend:${ctx.lockPath}`;

/** The key of the case's fencing counter, beside its lock's. */
export const fenceKey = (ctx: LockContext): string => `${serverLockKey(ctx)}:fence`;

/**
 * The options a lock on a server is made with in the workers: with its `url` filled in from the
 * run's throwaway server when none was given. Other locks' options come back as they are.
 */
export async function withServerUrl(adapter: LockAdapter, options: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (!adapter.server || (typeof options.url === 'string' && options.url !== '')) return options;
  const { sharedServer } = await import('../servers/index.js');
  return { ...options, url: (await sharedServer(adapter.server, `the ${adapter.name} lock`)).url };
}

/**
 * Refuses a lock on a server whose programs are not installed, before any work starts (a url of
 * the user's own, in its options or the environment, needs none).
 */
export function requireServerPrograms(adapter: LockAdapter, options: Record<string, unknown>): void {
  if (adapter.server && !(typeof options.url === 'string' && options.url !== '') && !serverUrlFromEnv(adapter.server)) serverPrograms(adapter.server, `the ${adapter.name} lock`);
}

/**
 * A lock on a server, from its calls: `take` (one attempt, true when taken), `unlock` (run by
 * release and close only while held), `end` (the connection's, after close's release), and
 * `fence` (a fencing token, asked right after each take). Waiting repeats `take`.
 */
export function serverLock(
  ctx: LockContext,
  maxPollMs: number,
  calls: { take(): Promise<boolean>; unlock(): Promise<unknown>; end(): unknown; fence?(): Promise<bigint> },
): Lock {
  let held = false;
  let token: bigint | undefined;
  const attempt = async (): Promise<boolean> => {
    held = await calls.take();
    // Asked while held: a later holder can only get a greater one.
    token = held && calls.fence ? await calls.fence() : undefined;
    return held;
  };
  const release = async (): Promise<void> => {
    if (!held) return;
    held = false;
    await calls.unlock();
  };
  return {
    tryAcquire: attempt,
    acquire: () => retryUntil(attempt, { signal: ctx.signal, maxPollMs }),
    release,
    ...(calls.fence ? { fence: () => (held ? token : undefined) } : {}),
    async close() {
      try {
        await release();
      } finally {
        await calls.end();
      }
    },
  };
}
