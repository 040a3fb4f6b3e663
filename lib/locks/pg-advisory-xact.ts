import { checkServerLockOptions, SERVER_LOCK_DEFAULTS, serverLock, type ServerLockOptions } from './server-lock.js';
import { pgSession } from './pg-session.js';
import type { LockAdapter } from './types.js';

/**
 * PostgreSQL's transaction-level advisory lock (`pg_try_advisory_xact_lock`): taken inside a
 * transaction and released by its end, never by an unlock.
 */
export const PgAdvisoryXactAdapter: LockAdapter<ServerLockOptions> = {
  name: 'pg-advisory-xact',
  description: "PostgreSQL's transaction advisory lock (pg_try_advisory_xact_lock): held until the transaction ends",
  package: 'pg',
  server: 'postgres',
  excludes: { async: true, thread: true, process: true },
  defaults: SERVER_LOCK_DEFAULTS,
  checkOptions: (options) => checkServerLockOptions('pg-advisory-xact', 'postgres', options),
  async create(ctx, options) {
    const { client, ask, fence } = await pgSession(ctx, options, 'the pg-advisory-xact lock');
    return serverLock(ctx, options, {
      async take() {
        await client.query('BEGIN');
        if (await ask('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok')) return true;
        await client.query('ROLLBACK');
        return false;
      },
      unlock: () => client.query('COMMIT'),
      end: () => client.end(),
      fence,
    });
  },
};
