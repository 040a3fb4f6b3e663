import { readFile, writeFile } from 'node:fs/promises';
import { createLock, loadAdapter } from '../locks/load.js';
import { ContendError } from '../errors.js';
import type { AdapterRef, Lock, LockContext } from '../locks/types.js';
import { loadWriteStrategy } from '../writes/load.js';
import type { CasMode, ConflictScope } from './config.js';
import type { ServerStorageSpec } from './server-storage.js';

/** One key of the manifest, with the manifest version that last wrote it. */
export interface Entry {
  key: string;
  value: string;
  version: number;
  writer: number;
}

/** The manifest as one read saw it. */
export interface Snapshot {
  version: number;
  entries: Map<string, Entry>;
  /** Keys found more than once: a manifest that a correct writer never produces. */
  duplicates: string[];
}

export type Mutation = { op: 'put'; key: string; value: string } | { op: 'delete'; key: string };

export type CommitResult = { ok: true; version: number } | { ok: false; current: number };

/** The storage a workload's clients contend for. */
export interface ManifestStorage {
  /** A snapshot read: a whole, committed manifest, without taking the lock. */
  read(): Promise<Snapshot>;
  /** Applies the mutation if the precondition still holds against `base`; otherwise reports the version found. */
  commit(base: Snapshot, mutation: Mutation, writer: number): Promise<CommitResult>;
  close(): Promise<void>;
}

/** The manifest file does not parse: a reader or writer caught a save half done. */
export class TornManifestError extends ContendError {
  constructor(path: string, detail: string) {
    super('E_TORN_MANIFEST', `manifest ${path} is not a whole manifest (${detail})`);
  }
}

export type StorageSpec =
  | { type: 'file'; path: string; lock: AdapterRef; lockOptions: Record<string, unknown>; write: AdapterRef; cas: CasMode; conflict: ConflictScope; valueSize: number }
  | { type: 'memory'; buffer: SharedArrayBuffer; keys: number; cas: CasMode; conflict: ConflictScope }
  | ServerStorageSpec;

/** Whether a commit prepared against `base` may go ahead now that the manifest is `current`. */
export function preconditionHolds(scope: ConflictScope, base: Snapshot, current: Snapshot, key: string): boolean {
  if (scope === 'manifest') return base.version === current.version;
  return (base.entries.get(key)?.version ?? 0) === (current.entries.get(key)?.version ?? 0);
}

export function applyMutation(current: Snapshot, mutation: Mutation, writer: number): Snapshot {
  const version = current.version + 1;
  const entries = new Map(current.entries);
  if (mutation.op === 'put') entries.set(mutation.key, { key: mutation.key, value: mutation.value, version, writer });
  else entries.delete(mutation.key);
  return { version, entries, duplicates: [] };
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A digest of key → value, independent of order, that can be updated one entry at a time. */
export const entryDigest = (key: string, value: string): number => fnv1a(`${key}\u0000${value}`);
export const addDigest = (a: number, b: number): number => (a + b) >>> 0;
export const subDigest = (a: number, b: number): number => (a - b) >>> 0;

export function snapshotDigest(entries: Iterable<Entry>): number {
  let d = 0;
  for (const e of entries) d = addDigest(d, entryDigest(e.key, e.value));
  return d;
}

interface ManifestFile {
  version: number;
  entries: (Entry & { pad?: string })[];
}

export function serializeManifest(s: Snapshot, valueSize: number): string {
  const pad = 'x'.repeat(valueSize);
  const entries = [...s.entries.values()].sort((a, b) => (a.key < b.key ? -1 : 1)).map((e) => ({ ...e, pad }));
  return JSON.stringify({ version: s.version, entries } satisfies ManifestFile);
}

export function parseManifest(text: string, path: string): Snapshot {
  let parsed: ManifestFile;
  try {
    parsed = JSON.parse(text) as ManifestFile;
  } catch (error) {
    throw new TornManifestError(path, text.length === 0 ? 'empty' : `${text.length} bytes, ${(error as Error).message}`);
  }
  if (!Number.isSafeInteger(parsed?.version) || !Array.isArray(parsed.entries)) throw new TornManifestError(path, 'no version or entries');
  const entries = new Map<string, Entry>();
  const duplicates: string[] = [];
  for (const { key, value, version, writer } of parsed.entries) {
    if (entries.has(key)) duplicates.push(key);
    entries.set(key, { key, value, version, writer });
  }
  return { version: parsed.version, entries, duplicates };
}

export async function readManifest(path: string): Promise<Snapshot> {
  return parseManifest(await readFile(path, 'utf8'), path);
}

/** Writes the empty manifest a run starts from. */
export async function createManifest(path: string, valueSize: number): Promise<void> {
  await writeFile(path, serializeManifest({ version: 0, entries: new Map(), duplicates: [] }, valueSize));
}

/**
 * The compare-and-swap both storages share: under the lock (unless the mode is the broken one)
 * read what is there now, check the precondition, and store the next version.
 */
async function compareAndSwap(
  lock: Pick<Lock, 'acquire' | 'release'> | undefined,
  scope: ConflictScope,
  load: () => Promise<Snapshot> | Snapshot,
  store: (next: Snapshot) => Promise<void> | void,
  base: Snapshot,
  mutation: Mutation,
  writer: number,
): Promise<CommitResult> {
  await lock?.acquire();
  try {
    const current = await load();
    if (!preconditionHolds(scope, base, current, mutation.key)) return { ok: false, current: current.version };
    const next = applyMutation(current, mutation, writer);
    await store(next);
    return { ok: true, version: next.version };
  } finally {
    await lock?.release();
  }
}

export interface StorageEnvironment {
  worker: number;
  kind: LockContext['kind'];
  shared: Int32Array;
  local: LockContext['local'];
  signal: AbortSignal;
}

export async function openStorage(spec: StorageSpec, env: StorageEnvironment): Promise<ManifestStorage> {
  if (spec.type === 'server') return (await import('./server-storage.js')).openServerManifest(spec);
  return spec.type === 'file' ? openFileManifest(spec, env) : openMemoryManifest(spec);
}

async function openFileManifest(spec: Extract<StorageSpec, { type: 'file' }>, env: StorageEnvironment): Promise<ManifestStorage> {
  const [adapter, strategy] = await Promise.all([loadAdapter(spec.lock), loadWriteStrategy(spec.write)]);
  let lock: Lock | undefined;
  const guard = (): Lock | undefined => lock;
  const openLock = async (): Promise<Lock> =>
    (lock ??= await createLock(adapter, { ...env, lockPath: `${spec.path}.lock` }, spec.lockOptions));
  return {
    read: () => readManifest(spec.path),
    async commit(base, mutation, writer) {
      if (spec.cas === 'locked') await openLock();
      return compareAndSwap(guard(), spec.conflict, () => readManifest(spec.path), (next) => strategy.save(spec.path, serializeManifest(next, spec.valueSize)), base, mutation, writer);
    },
    async close() {
      await lock?.close?.();
    },
  };
}

// Shared-memory layout: [lock, version, then per key: present, writer, op number, key version].
const HEADER = 2;
const SLOT = 4;

/** The bytes a memory manifest of `keys` keys needs. */
export const memoryManifestBytes = (keys: number): number => (HEADER + keys * SLOT) * 4;

function memoryLock(words: Int32Array): Lock {
  return {
    tryAcquire: () => Atomics.compareExchange(words, 0, 0, 1) === 0,
    async acquire() {
      // Clients are worker threads, where a short blocking wait is allowed and cheapest.
      while (Atomics.compareExchange(words, 0, 0, 1) !== 0) Atomics.wait(words, 0, 1, 1);
    },
    release() {
      Atomics.store(words, 0, 0);
      Atomics.notify(words, 0, 1);
    },
  };
}

/**
 * Zero-cost storage: the manifest in shared memory, no I/O at all. What a workload achieves on it
 * is what the harness itself can drive, the ceiling for measuring real storage.
 */
function openMemoryManifest(spec: Extract<StorageSpec, { type: 'memory' }>): ManifestStorage {
  const words = new Int32Array(spec.buffer);
  const lock = memoryLock(words);
  const keyIndex = (key: string): number => Number(key.slice(4));
  const load = (): Snapshot => {
    const entries = new Map<string, Entry>();
    for (let i = 0; i < spec.keys; i++) {
      const at = HEADER + i * SLOT;
      if (words[at] !== 1) continue;
      const key = `key_${String(i).padStart(6, '0')}`;
      entries.set(key, { key, value: `w${words[at + 1]}-${words[at + 2]}`, writer: words[at + 1]!, version: words[at + 3]! });
    }
    return { version: words[1]!, entries, duplicates: [] };
  };
  const store = (next: Snapshot): void => {
    for (let i = 0; i < spec.keys; i++) words[HEADER + i * SLOT] = 0;
    for (const e of next.entries.values()) {
      const at = HEADER + keyIndex(e.key) * SLOT;
      const [, writer, n] = /^w(\d+)-(\d+)$/.exec(e.value) ?? [];
      words[at] = 1;
      words[at + 1] = Number(writer);
      words[at + 2] = Number(n);
      words[at + 3] = e.version;
    }
    words[1] = next.version;
  };
  return {
    async read() {
      await lock.acquire();
      try {
        return load();
      } finally {
        lock.release();
      }
    },
    commit: (base, mutation, writer) => compareAndSwap(spec.cas === 'locked' ? lock : undefined, spec.conflict, load, store, base, mutation, writer),
    async close() {},
  };
}
