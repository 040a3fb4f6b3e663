import { importPeer } from '../support/peer.js';
import { redisClient } from '../locks/redis-client.js';
import { createIfAbsent } from '../locks/pg-session.js';
import type { ServerKind } from '../servers/types.js';
import type { CasMode, ConflictScope } from './config.js';
import { applyMutation, parseManifest, preconditionHolds, serializeManifest, type CommitResult, type ManifestStorage, type Snapshot } from './manifest.js';

/** The manifest on a server: one row, one key, or one etcd key, named `name`, on the server at `url`. */
export interface ServerStorageSpec {
  type: 'server';
  server: ServerKind;
  url: string;
  /** The manifest's name on the server: the run's own. */
  name: string;
  cas: CasMode;
  conflict: ConflictScope;
  valueSize: number;
}

/**
 * What each engine does for the manifest: read it with a stamp of the version read (the row's
 * version, the version key, etcd's mod revision), and store the next one — when given the stamp,
 * only if the manifest still has it, in one step on the server.
 */
interface Engine {
  /** Makes the run's manifest (`text`, version 0) on the server. */
  create(text: string): Promise<void>;
  load(): Promise<{ snapshot: Snapshot; stamp: string }>;
  store(next: Snapshot, text: string, stamp?: string): Promise<boolean>;
  close(): Promise<void>;
}

const NEEDED_BY: Record<ServerKind, string> = { postgres: 'the postgres storage', redis: 'the redis storage', etcd: 'the etcd storage' };

async function postgresEngine(spec: ServerStorageSpec): Promise<Engine> {
  const { default: pg } = await importPeer('pg', NEEDED_BY.postgres, () => import('pg'));
  const client = new pg.Client({ connectionString: spec.url });
  await client.connect();
  return {
    async create(text) {
      await createIfAbsent(client, 'CREATE TABLE IF NOT EXISTS contend_manifest (name text PRIMARY KEY, version bigint NOT NULL, doc text NOT NULL)');
      await client.query('INSERT INTO contend_manifest (name, version, doc) VALUES ($1, 0, $2)', [spec.name, text]);
    },
    async load() {
      const row = (await client.query<{ version: string; doc: string }>('SELECT version, doc FROM contend_manifest WHERE name = $1', [spec.name])).rows[0]!;
      return { snapshot: parseManifest(row.doc, `postgres ${spec.name}`), stamp: row.version };
    },
    async store(next, text, stamp) {
      const set = 'UPDATE contend_manifest SET version = $2, doc = $3 WHERE name = $1';
      const r = stamp === undefined ? await client.query(set, [spec.name, next.version, text]) : await client.query(`${set} AND version = $4`, [spec.name, next.version, text, stamp]);
      return r.rowCount === 1;
    },
    close: () => client.end(),
  };
}

// Stores the manifest only if its version key still holds the version read: one step on the server.
const REDIS_CAS = "if redis.call('get', KEYS[2]) == ARGV[1] then redis.call('set', KEYS[1], ARGV[2]); redis.call('set', KEYS[2], ARGV[3]); return 1 else return 0 end";

async function redisEngine(spec: ServerStorageSpec): Promise<Engine> {
  const client = await redisClient(spec.url, NEEDED_BY.redis);
  const [doc, version] = [spec.name, `${spec.name}:version`];
  return {
    create: async (text) => void (await client.mset(doc, text, version, '0')),
    async load() {
      // One round trip, both keys from one moment.
      const [text, stamp] = (await client.mget(doc, version)) as [string, string];
      return { snapshot: parseManifest(text, `redis ${spec.name}`), stamp };
    },
    async store(next, text, stamp) {
      if (stamp === undefined) {
        await client.mset(doc, text, version, String(next.version));
        return true;
      }
      return (await client.eval(REDIS_CAS, 2, doc, version, stamp, text, String(next.version))) === 1;
    },
    close: async () => void client.disconnect(),
  };
}

async function etcdEngine(spec: ServerStorageSpec): Promise<Engine> {
  const { Etcd3 } = await importPeer('etcd3', NEEDED_BY.etcd, () => import('etcd3'));
  const client = new Etcd3({ hosts: spec.url });
  return {
    create: async (text) => void (await client.put(spec.name).value(text)),
    async load() {
      const kv = (await client.get(spec.name).exec()).kvs[0]!;
      return { snapshot: parseManifest(kv.value.toString('utf8'), `etcd ${spec.name}`), stamp: kv.mod_revision };
    },
    async store(_next, text, stamp) {
      if (stamp === undefined) {
        await client.put(spec.name).value(text);
        return true;
      }
      // A transaction comparing the key's mod revision: the put happens only if no one wrote since the read.
      return (await client.if(spec.name, 'Mod', '==', stamp).then(client.put(spec.name).value(text)).commit()).succeeded;
    },
    close: async () => client.close(),
  };
}

const ENGINES: Record<ServerKind, (spec: ServerStorageSpec) => Promise<Engine>> = { postgres: postgresEngine, redis: redisEngine, etcd: etcdEngine };

/**
 * The manifest on a server, with optimistic commits: read what is there and its stamp, check the
 * precondition, and store the next version only if the stamp still holds (`locked`); the broken
 * mode (`unlocked`) stores whatever the stamp.
 */
export async function openServerManifest(spec: ServerStorageSpec): Promise<ManifestStorage> {
  const engine = await ENGINES[spec.server](spec);
  return {
    read: async () => (await engine.load()).snapshot,
    async commit(base, mutation, writer): Promise<CommitResult> {
      const { snapshot: current, stamp } = await engine.load();
      if (!preconditionHolds(spec.conflict, base, current, mutation.key)) return { ok: false, current: current.version };
      const next = applyMutation(current, mutation, writer);
      if (await engine.store(next, serializeManifest(next, spec.valueSize), spec.cas === 'locked' ? stamp : undefined)) return { ok: true, version: next.version };
      return { ok: false, current: (await engine.load()).snapshot.version };
    },
    close: () => engine.close(),
  };
}

/** Makes the run's empty manifest on the server, before any client opens it. */
export async function createServerManifest(spec: ServerStorageSpec): Promise<void> {
  const engine = await ENGINES[spec.server](spec);
  try {
    await engine.create(serializeManifest({ version: 0, entries: new Map(), duplicates: [] }, spec.valueSize));
  } finally {
    await engine.close();
  }
}
