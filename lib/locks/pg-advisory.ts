import { pgSession } from './pg-session.js';
import { checkServerLockOptions, SERVER_LOCK_DEFAULTS, serverLock, type ServerLockOptions } from './server-lock.js';
import type { LockAdapter } from './types.js';

/**
 * PostgreSQL's session-level advisory lock (`pg_try_advisory_lock`): held until unlocked or until
 * the session ends, so a holder that dies frees it as soon as the server sees its connection go.
 */
export const PgAdvisoryAdapter: LockAdapter<ServerLockOptions> = {
  name: 'pg-advisory',
  description: "PostgreSQL's session advisory lock (pg_try_advisory_lock): held until unlocked or the session ends",
  package: 'pg',
  server: 'postgres',
  excludes: { async: true, thread: true, process: true },
  defaults: SERVER_LOCK_DEFAULTS,
  checkOptions: (options) => checkServerLockOptions('pg-advisory', 'postgres', options),
  async create(ctx, options) {
    const { client, ask, fence } = await pgSession(ctx, options, 'the pg-advisory lock');
    return serverLock(ctx, options, {
      take: () => ask('SELECT pg_try_advisory_lock(hashtext($1)) AS ok'),
      unlock: () => ask('SELECT pg_advisory_unlock(hashtext($1)) AS ok'),
      end: () => client.end(),
      fence,
    });
  },
};
