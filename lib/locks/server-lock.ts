import { ContendError, InvalidOptionError } from '../errors.js';
import { settledWithin } from '../support/deadline.js';
import { integerIn } from '../support/check.js';
import { serverUrlFromEnv, type ServerKind } from '../servers/types.js';
import { checkPollOptions, retryUntil } from './wait.js';
import type { Lock, LockAdapter, LockContext } from './types.js';
import { serverPrograms } from '../servers/binaries.js';

/** Options of every lock on a server: where it is (empty: a server contend starts), the polling, and how long a call may take. */
export interface ServerLockOptions {
  /** The server's URL; empty: contend starts a throwaway server for the run and fills it in. */
  url: string;
  maxPollMs: number;
  /**
   * How long one call to the server (connect, take, release, fencing token) may go unanswered
   * before it fails with E_SERVER_TIMEOUT, ms: a paused or partitioned server must not hang a
   * contender for good. After a timeout the lock's instance refuses further use, since the server
   * may still carry out the call it did not answer.
   */
  timeoutMs: number;
}

/** The defaults every lock on a server shares. */
export const SERVER_LOCK_DEFAULTS: ServerLockOptions = { url: '', maxPollMs: 8, timeoutMs: 10_000 };

/** A call to a lock's server that went unanswered for its timeoutMs. */
export class ServerTimeoutError extends ContendError {
  constructor(what: string, url: string, timeoutMs: number) {
    super('E_SERVER_TIMEOUT', `${what}: the server at ${url} did not answer within ${timeoutMs} ms (timeoutMs)`);
    this.name = 'ServerTimeoutError';
  }
}

/**
 * The call's result, or a ServerTimeoutError once it has gone unanswered for timeoutMs. The call
 * itself goes on (a client cannot take back what it sent): its late failure is ignored.
 */
export function answeredWithin<T>(call: Promise<T>, what: string, { url, timeoutMs }: Pick<ServerLockOptions, 'url' | 'timeoutMs'>): Promise<T> {
  call.catch(() => {});
  return settledWithin(call, timeoutMs, () => new ServerTimeoutError(what, url, timeoutMs));
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
  integerIn(`${lock} lock option timeoutMs`, options.timeoutMs, 1, 2 ** 31 - 1);
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
 * `fence` (a fencing token, asked right after each take). Waiting repeats `take`. Each call is
 * bounded by timeoutMs; once one went unanswered, every later one fails with that error, and
 * close only ends the connection (without waiting past timeoutMs for the server to see it).
 */
export function serverLock(
  ctx: LockContext,
  options: Pick<ServerLockOptions, 'url' | 'maxPollMs' | 'timeoutMs'>,
  calls: { take(): Promise<boolean>; unlock(): Promise<unknown>; end(): unknown; fence?(): Promise<bigint> },
): Lock {
  let held = false;
  let token: bigint | undefined;
  let unanswered: ServerTimeoutError | undefined;
  const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    if (unanswered) throw unanswered;
    try {
      return await answeredWithin(run(), what, options);
    } catch (error) {
      if (error instanceof ServerTimeoutError) unanswered = error;
      throw error;
    }
  };
  const attempt = async (): Promise<boolean> => {
    token = undefined;
    held = await call('taking the lock', () => calls.take());
    // Asked while held: a later holder can only get a greater one.
    token = held && calls.fence ? await call('asking for a fencing token', () => calls.fence!()) : undefined;
    return held;
  };
  const release = async (): Promise<void> => {
    if (!held) return;
    held = false;
    await call('releasing the lock', () => calls.unlock());
  };
  return {
    tryAcquire: attempt,
    acquire: () => retryUntil(attempt, { signal: ctx.signal, maxPollMs: options.maxPollMs }),
    release,
    ...(calls.fence ? { fence: () => (held ? token : undefined) } : {}),
    async close() {
      try {
        if (!unanswered) await release();
      } finally {
        // Its own connection's end, not refused after a timeout: a server that does not answer
        // the close has it when it resumes, so waiting longer than timeoutMs gains nothing.
        await answeredWithin(Promise.resolve(calls.end()), 'closing the connection', options).catch((error: unknown) => {
          if (!(error instanceof ServerTimeoutError)) throw error;
        });
      }
    },
  };
}
