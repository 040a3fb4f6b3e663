import { checkServerLockOptions, serverLock, type ServerLockOptions } from './server-lock.js';
import { pgSession } from './pg-advisory.js';
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
  defaults: { url: '', maxPollMs: 8 },
  checkOptions: (options) => checkServerLockOptions('pg-advisory-xact', 'postgres', options),
  async create(ctx, { url, maxPollMs }) {
    const { client, ask, fence } = await pgSession(ctx, url, 'the pg-advisory-xact lock');
    return serverLock(ctx, maxPollMs, {
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
