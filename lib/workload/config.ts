import { integerIn, numberIn, oneOf, onlyKnown } from '../support/check.js';
import { definedOnly } from '../support/defined.js';
import { InvalidOptionError } from '../errors.js';
import { resolveLock } from '../locks/registry.js';
import { resolveWriteStrategy } from '../writes/index.js';
import { CHAOS_DEFAULTS, resolveChaos, type Chaos } from './chaos.js';
import { requirePeers } from '../support/peer.js';
import { serverPrograms } from '../servers/binaries.js';
import { serverEnvName, serverUrlFromEnv } from '../servers/types.js';

export const CLIENT_KINDS = ['thread', 'process'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

/**
 * `file`: the JSON manifest on disk; `memory`: shared memory, no I/O — what the harness itself
 * costs; `postgres`, `redis`, `etcd`: the manifest on a throwaway server of that kind, committed
 * by the server's own compare-and-set (a row's version, a script, a transaction on the mod revision).
 */
export const STORAGES = ['file', 'memory', 'postgres', 'redis', 'etcd'] as const;
export type StorageKind = (typeof STORAGES)[number];

/** The client library each storage on a server needs (an optional peer). */
const SERVER_STORAGE_PACKAGE = { postgres: 'pg', redis: 'ioredis', etcd: 'etcd3' } as const;

/** `locked`: compare-and-swap under the lock. `unlocked`: the deliberately broken mode, check and write unguarded. */
export const CAS_MODES = ['locked', 'unlocked'] as const;
export type CasMode = (typeof CAS_MODES)[number];

/**
 * What a commit's precondition compares: `key`, the version of the one key it changes (writers
 * touching other keys do not conflict, so the key overlap matters); `manifest`, the whole
 * manifest's version (every concurrent commit conflicts).
 */
export const CONFLICT_SCOPES = ['key', 'manifest'] as const;
export type ConflictScope = (typeof CONFLICT_SCOPES)[number];

/** The WorkloadConfig of fusio-manifest's performance framework: fleet sizes, rates, key pool and overlap, retry budget, and where it runs. */
export interface WorkloadConfig {
  /** Writer clients (num_writers), 1–64. */
  writers: number;
  /** Write operations per second per writer (writer_rate); arrivals are Poisson, as in fusio-manifest's framework. */
  writerRate: number;
  /** Reader clients (num_readers), 0–64. */
  readers: number;
  /** Snapshot reads per second per reader (reader_rate). */
  readerRate: number;
  /** Seconds the fleet issues operations (duration_secs). */
  duration: number;
  /** Keys in the pool (key_pool_size). */
  keyPoolSize: number;
  /** Share of a writer's keys it shares with the previous writer, 0–1 (key_overlap_ratio). */
  keyOverlap: number;
  /**
   * The application's work between its snapshot read and its commit, ms: the window in which
   * another writer can get in first (fusio-manifest's S3 round trips made it about 1.5 s).
   */
  thinkMs: number;
  /** Retries after a precondition failure before the operation gives up (max_retry_count). */
  maxRetries: number;
  /** Share of write operations that delete their key when it exists (write_delete_ratio). */
  deleteRatio: number;
  /** Bytes of padding stored with each value, so the manifest has a realistic size. */
  valueSize: number;
  seed: number;
  kind: ClientKind;
  storage: StorageKind;
  /** Lock adapter around the compare-and-swap (file storage); it must exclude `kind`. */
  lock: string;
  /** Write strategy the manifest is saved with (file storage). */
  write: string;
  cas: CasMode;
  conflict: ConflictScope;
  /** Faults injected while the fleet runs. */
  chaos: Chaos;
}

export const WORKLOAD_DEFAULTS: WorkloadConfig = {
  writers: 2,
  writerRate: 50,
  readers: 4,
  readerRate: 100,
  duration: 3,
  keyPoolSize: 100,
  keyOverlap: 0.2,
  thinkMs: 0,
  maxRetries: 1,
  deleteRatio: 0.1,
  valueSize: 64,
  seed: 1,
  kind: 'thread',
  storage: 'file',
  lock: 'flock',
  write: 'atomic',
  cas: 'locked',
  conflict: 'manifest',
  chaos: CHAOS_DEFAULTS,
};

export const MAX_CLIENTS = 64;

/** Fills in defaults and checks every field once, at the boundary; unknown fields are refused by name. */
export function resolveWorkload(given: Partial<WorkloadConfig> = {}): WorkloadConfig {
  if (typeof given !== 'object' || given === null) throw new InvalidOptionError('workload config', 'an object', given);
  onlyKnown('workload config field', given, Object.keys(WORKLOAD_DEFAULTS));
  const c = { ...WORKLOAD_DEFAULTS, ...definedOnly(given) };
  const config: WorkloadConfig = {
    writers: integerIn('writers', c.writers, 1, MAX_CLIENTS),
    writerRate: numberIn('writer rate', c.writerRate, 0, 100_000, { open: true }),
    readers: integerIn('readers', c.readers, 0, MAX_CLIENTS),
    readerRate: numberIn('reader rate', c.readerRate, 0, 100_000, { open: true }),
    duration: numberIn('duration', c.duration, 0, 86_400, { open: true }),
    keyPoolSize: integerIn('key pool size', c.keyPoolSize, 1, 1_000_000),
    keyOverlap: numberIn('key overlap', c.keyOverlap, 0, 1),
    thinkMs: numberIn('think time (ms)', c.thinkMs, 0, 60_000),
    maxRetries: integerIn('max retries', c.maxRetries, 0, 1_000),
    deleteRatio: numberIn('delete ratio', c.deleteRatio, 0, 1),
    valueSize: integerIn('value size', c.valueSize, 0, 1 << 20),
    seed: integerIn('seed', c.seed, 0, 2 ** 31 - 1),
    kind: oneOf('client kind', CLIENT_KINDS, c.kind),
    storage: oneOf('storage', STORAGES, c.storage),
    lock: c.lock,
    write: c.write,
    cas: oneOf('cas', CAS_MODES, c.cas),
    conflict: oneOf('conflict scope', CONFLICT_SCOPES, c.conflict),
    chaos: resolveChaos(c.chaos),
  };
  resolveLock(config.lock);
  resolveWriteStrategy(config.write);
  if (config.writers + config.readers > MAX_CLIENTS) {
    throw new InvalidOptionError('writers + readers', `at most ${MAX_CLIENTS} clients in all`, config.writers + config.readers);
  }
  if (config.keyPoolSize < config.writers) {
    throw new InvalidOptionError('key pool size', `at least one key per writer (${config.writers} or more)`, config.keyPoolSize);
  }
  if (config.storage === 'postgres' || config.storage === 'redis' || config.storage === 'etcd') {
    // Refused before any client starts: a client library or a server that is not installed.
    requirePeers(`the ${config.storage} storage`, [SERVER_STORAGE_PACKAGE[config.storage]]);
    if (!serverUrlFromEnv(config.storage)) serverPrograms(config.storage, `the ${config.storage} storage`);
    else if (config.chaos.outages > 0 && config.chaos.outageMs > 0) {
      // An outage on a server pauses it: contend does that only to a server it started.
      throw new InvalidOptionError(`chaos outages on the ${config.storage} storage`, `none on a server of your own (${serverEnvName(config.storage)}): an outage pauses the server, which contend does only to one it starts (unset ${serverEnvName(config.storage)})`, config.chaos.outages);
    }
  }
  if (config.storage === 'memory' && config.kind === 'process') {
    throw new InvalidOptionError('storage for process clients', `file (memory storage lives in one process's shared memory; allowed storages for threads: ${STORAGES.join(', ')})`, 'memory');
  }
  return config;
}

/** The config label of fusio-manifest's performance framework, e.g. W2_WR50.00_O0.2_RD4_RT100. */
export function configLabel(c: Pick<WorkloadConfig, 'writers' | 'writerRate' | 'keyOverlap' | 'readers' | 'readerRate'>): string {
  return `W${c.writers}_WR${c.writerRate.toFixed(2)}_O${c.keyOverlap.toFixed(1)}_RD${c.readers}_RT${Math.trunc(c.readerRate)}`;
}

export const keyName = (i: number): string => `key_${String(i).padStart(6, '0')}`;

/**
 * The KeyPool of fusio-manifest's performance framework: the pool split evenly between writers; each writer after the first also
 * takes the last `overlap` share of the previous writer's keys, which is where writers contend.
 * Readers see every key.
 */
export function writerKeys(poolSize: number, writers: number, overlap: number, writer: number): string[] {
  const perWriter = Math.floor(poolSize / writers);
  const shared = Math.floor(perWriter * overlap);
  const start = writer === 0 ? 0 : Math.max(0, writer * perWriter - shared);
  const end = Math.min((writer + 1) * perWriter, poolSize);
  return Array.from({ length: end - start }, (_, i) => keyName(start + i));
}
