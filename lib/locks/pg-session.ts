// A module of its own, off the type graph of contend's public entries: what it returns has the
// types of pg, an optional peer, which a user who never installed it must not need to compile.
import { importPeer } from '../support/peer.js';
import { answeredWithin, serverLockKey, type ServerLockOptions } from './server-lock.js';
import type { LockContext } from './types.js';

/**
 * Runs a `CREATE … IF NOT EXISTS`: sessions making the same object at once may both find it absent,
 * and the one that loses gets a unique violation (23505) or "already exists" (42P07), which is success.
 */
export async function createIfAbsent(client: { query(sql: string): Promise<unknown> }, sql: string): Promise<void> {
  await client.query(sql).catch((error: { code?: string }) => {
    if (error.code !== '23505' && error.code !== '42P07') throw error;
  });
}

/**
 * A PostgreSQL connection of one lock instance, and the advisory lock key of the case: `hashtext`
 * of the case's key, which every instance computes alike.
 */
export async function pgSession(ctx: LockContext, server: Pick<ServerLockOptions, 'url' | 'timeoutMs'>, neededBy: string) {
  const { default: pg } = await importPeer('pg', neededBy, () => import('pg'));
  const client = new pg.Client({ connectionString: server.url });
  // A connection the server ends (a restart) is an 'error' event: unheard, it would end the
  // process. The session is gone with it, and the next query says so.
  client.on('error', () => {});
  try {
    await answeredWithin(client.connect(), `connecting for ${neededBy}`, server);
    // One sequence per server for every case's fencing tokens: they only need to grow.
    await answeredWithin(createIfAbsent(client, 'CREATE SEQUENCE IF NOT EXISTS contend_fence'), `preparing ${neededBy}`, server);
  } catch (error) {
    // Ended, not left open: a server that answers late would keep a session no one uses.
    void client.end().catch(() => {});
    throw error;
  }
  const key = serverLockKey(ctx);
  const ask = async (sql: string): Promise<boolean> => (await client.query<{ ok: boolean }>(sql, [key])).rows[0]?.ok === true;
  const fence = async (): Promise<bigint> => BigInt((await client.query<{ token: string }>("SELECT nextval('contend_fence') AS token")).rows[0]!.token);
  return { client, ask, fence };
}
