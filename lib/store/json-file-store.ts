import { readFile } from 'node:fs/promises';
import { createLock, lockRegistry, standaloneContext } from '../adapters.js';
import { ContendError } from '../errors.js';
import type { Lock } from '../locks/types.js';
import { writeRegistry } from '../writes/index.js';
import type { WriteStrategy } from '../writes/types.js';

/** A stored position: its `sequence` only ever grows. */
export interface Checkpoint {
  sequence: number;
  [field: string]: unknown;
}

interface StoreFile {
  version: 1;
  keys: Record<string, Checkpoint>;
}

/** The store file exists but does not parse as a store: it is kept as it is, never reset. */
export class CorruptStoreError extends ContendError {
  readonly path: string;
  constructor(path: string, reason: string) {
    super('E_CORRUPT_STORE', `store ${path} is corrupt (${reason}); it was left untouched`);
    this.path = path;
  }
}

export interface StoreOptions {
  /** A lock adapter name (default flock): it must exclude processes for the store to be safe. */
  lock?: string;
  /** A write strategy name (default atomic). */
  write?: string;
  lockOptions?: Record<string, unknown>;
}

/**
 * A JSON key–value store in one file shared by processes. `put` takes the cross-process lock,
 * re-reads the file, merges so that no key's sequence ever goes backwards, saves with the write
 * strategy and releases. Lock and write strategy are adapters, so unsafe pairs can be tried too.
 */
export class JsonFileStore {
  readonly path: string;
  private readonly lock: Lock;
  private readonly strategy: WriteStrategy;
  private readonly closing: AbortController;
  // Puts of one instance go one at a time: its lock (one fd, one owner) cannot tell them apart.
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(path: string, lock: Lock, strategy: WriteStrategy, closing: AbortController) {
    this.path = path;
    this.lock = lock;
    this.strategy = strategy;
    this.closing = closing;
  }

  static async open(path: string, options: StoreOptions = {}): Promise<JsonFileStore> {
    const { ref } = lockRegistry.resolve(options.lock ?? 'flock');
    const strategy = await writeRegistry.load(writeRegistry.resolve(options.write ?? 'atomic').ref);
    const closing = new AbortController();
    const lockAdapter = await lockRegistry.load(ref);
    const lock = await createLock(
      lockAdapter,
      standaloneContext({ worker: process.pid, kind: 'process', lockPath: `${path}.lock`, signal: closing.signal }),
      options.lockOptions,
    );
    const store = new JsonFileStore(path, lock, strategy, closing);
    try {
      // Checked under the lock, so a save in progress elsewhere is not mistaken for corruption.
      await lock.acquire();
      try {
        await store.load();
      } finally {
        await lock.release();
      }
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  /** Reads the file as it is now; a missing file is an empty store. */
  async load(): Promise<Record<string, Checkpoint>> {
    return (await readStore(this.path)).keys;
  }

  async get(key: string): Promise<Checkpoint | undefined> {
    return (await this.load())[key];
  }

  /** Stores the checkpoint unless the stored one is further on; returns what is stored now. */
  put(key: string, checkpoint: Checkpoint): Promise<Checkpoint> {
    const next = this.queue.then(() => this.putNow(key, checkpoint));
    this.queue = next.catch(() => {});
    return next;
  }

  private async putNow(key: string, checkpoint: Checkpoint): Promise<Checkpoint> {
    if (!Number.isSafeInteger(checkpoint.sequence)) throw new ContendError('E_INVALID_OPTION', `invalid sequence: ${checkpoint.sequence}; allowed: an integer`);
    await this.lock.acquire();
    try {
      const current = await readStore(this.path);
      const stored = current.keys[key];
      const kept = stored && stored.sequence >= checkpoint.sequence ? stored : checkpoint;
      current.keys[key] = kept;
      await this.strategy.save(this.path, JSON.stringify(current));
      return kept;
    } finally {
      await this.lock.release();
    }
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.lock.close?.();
  }
}

/** The store file's keys; `CorruptStoreError` when it is not a store. */
export async function readStore(path: string): Promise<StoreFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, keys: {} };
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CorruptStoreError(path, text.length === 0 ? 'empty file' : `not JSON: ${(error as Error).message}`);
  }
  const keys = (parsed as Partial<StoreFile> | null)?.keys;
  if (typeof keys !== 'object' || keys === null) throw new CorruptStoreError(path, 'no "keys" object');
  for (const [key, value] of Object.entries(keys)) {
    if (!Number.isSafeInteger((value as Checkpoint | null)?.sequence)) throw new CorruptStoreError(path, `key "${key}" has no integer sequence`);
  }
  return { version: 1, keys: keys as Record<string, Checkpoint> };
}
