import { constants, type Stats } from 'node:fs';
import { open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { createLock, loadAdapter, standaloneContext } from '../locks/load.js';
import { ContendError, InvalidOptionError } from '../errors.js';
import type { AdapterRef, Lock } from '../locks/types.js';
import { loadWriteStrategy } from '../writes/load.js';
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

/** The one layout this contend reads and writes. */
const VERSION = 1;

/** As Linux's MAXSYMLINKS: a longer chain is taken for a loop. */
const MAX_LINKS = 40;

const STORE_PATH_ALLOWED = `a file in an existing directory, or a chain of at most ${MAX_LINKS} symlinks ending at one`;

/** The store file exists but is not exactly a store: it is kept as it is, never reset or rewritten. */
export class CorruptStoreError extends ContendError {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string, message = `store ${path} is corrupt (${reason}); it was left untouched`) {
    super('E_CORRUPT_STORE', message);
    this.path = path;
    this.reason = reason;
  }
}

/**
 * A well-formed store of another version. A subclass that keeps E_CORRUPT_STORE, rather than a new
 * code: whatever refuses a corrupt store (the fuzz harness, a caller's catch) must refuse this one
 * too, as a save of ours would drop what the other version means; `version` lets a caller tell
 * "written by a newer contend" (upgrade) from "damaged" (restore) without reading the message.
 */
export class StoreVersionError extends CorruptStoreError {
  readonly version: number;
  constructor(path: string, version: number) {
    super(path, `version ${version}`, `store ${path} is version ${version}; this contend reads version ${VERSION} stores; it was left untouched`);
    this.version = version;
  }
}

export interface StoreOptions {
  /** A lock adapter name (default flock): it must exclude processes for the store to be safe. */
  lock?: string;
  /**
   * A write strategy name (default atomic-dirsync: a put that has returned survives a power cut,
   * which `contend powerloss` shows; atomic survives a kill but a cut may undo its rename).
   */
  write?: string;
  lockOptions?: Record<string, unknown>;
}

/**
 * A JSON key–value store in one file shared by processes. `put` takes the cross-process lock,
 * re-reads the file, merges so that no key's sequence ever goes backwards, saves with the write
 * strategy and releases. Lock and write strategy are adapters, so unsafe pairs can be tried too.
 *
 * A symlink at the path is written through: the store lives in the file at the end of the chain
 * (created there if missing), so a save replaces that file and the links keep pointing at it.
 */
export class JsonFileStore {
  /** The path as given to `open`. */
  readonly path: string;
  /** The file the store reads and saves: `path` with its symlinks followed. */
  readonly target: string;
  /** `<target>.lock`: stores opened through different links to one file share it. */
  readonly lockPath: string;
  private readonly lock: Lock;
  private readonly strategy: WriteStrategy;
  private readonly closing: AbortController;
  // Puts of one instance go one at a time: its lock (one fd, one owner) cannot tell them apart.
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(path: string, target: string, lockPath: string, lock: Lock, strategy: WriteStrategy, closing: AbortController) {
    this.path = path;
    this.target = target;
    this.lockPath = lockPath;
    this.lock = lock;
    this.strategy = strategy;
    this.closing = closing;
  }

  static async open(path: string, options: StoreOptions = {}): Promise<JsonFileStore> {
    // The registries hold every adapter: loaded here, to check the names, and not by a worker that
    // opens by reference.
    const [{ resolveLock }, { resolveWriteStrategy }] = await Promise.all([import('../locks/registry.js'), import('../writes/index.js')]);
    const lock = resolveLock(options.lock ?? 'flock').ref;
    const write = resolveWriteStrategy(options.write ?? 'atomic-dirsync').ref;
    return JsonFileStore.openByRef(path, { lock, write, ...(options.lockOptions ? { lockOptions: options.lockOptions } : {}) });
  }

  /**
   * As open, with the lock and write strategy given as a driver hands them to its workers (the
   * kill fuzz's writers), checked there: only those two adapters are loaded.
   * @internal
   */
  static async openByRef(path: string, options: { lock: AdapterRef; write: AdapterRef; lockOptions?: Record<string, unknown> }): Promise<JsonFileStore> {
    const strategy = await loadWriteStrategy(options.write);
    const target = await followLinks(path);
    const lockPath = `${target}.lock`;
    const closing = new AbortController();
    const lockAdapter = await loadAdapter(options.lock);
    const lock = await createLock(
      lockAdapter,
      standaloneContext({ worker: process.pid, kind: 'process', lockPath, signal: closing.signal }),
      options.lockOptions,
    );
    const store = new JsonFileStore(path, target, lockPath, lock, strategy, closing);
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
    return (await readStoreFile(this.target, { followLink: false })).keys;
  }

  async get(key: string): Promise<Checkpoint | undefined> {
    const keys = await this.load();
    // Own keys only: "toString" is not a stored checkpoint.
    return Object.hasOwn(keys, key) ? keys[key] : undefined;
  }

  /** Stores the checkpoint unless the stored one is further on; returns what is stored now. */
  put(key: string, checkpoint: Checkpoint): Promise<Checkpoint> {
    const next = this.queue.then(() => this.putNow(key, checkpoint));
    this.queue = next.catch(() => {});
    return next;
  }

  private async putNow(key: string, checkpoint: Checkpoint): Promise<Checkpoint> {
    if (!Number.isSafeInteger(checkpoint.sequence)) throw new ContendError('E_INVALID_OPTION', `invalid sequence: ${checkpoint.sequence}; allowed: an integer`);
    const loss = jsonLoss(checkpoint);
    if (loss) throw new InvalidOptionError('checkpoint', 'an object that JSON stores as it is', checkpoint, loss);
    await this.lock.acquire();
    try {
      // Refuses a file that stopped being a store since `open`, before anything is saved over it.
      const current = await readStoreFile(this.target, { followLink: false });
      const stored = Object.hasOwn(current.keys, key) ? current.keys[key] : undefined;
      const kept = stored && stored.sequence >= checkpoint.sequence ? stored : checkpoint;
      // Defined, not assigned: assigning "__proto__" would set the prototype and store nothing.
      Object.defineProperty(current.keys, key, { value: kept, enumerable: true, writable: true, configurable: true });
      await this.strategy.save(this.target, JSON.stringify(current));
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

/** The store file's keys; `CorruptStoreError` when it is not exactly a store. Follows a symlink. */
export function readStore(path: string): Promise<StoreFile> {
  return readStoreFile(path, { followLink: true });
}

async function readStoreFile(path: string, { followLink }: { followLink: boolean }): Promise<StoreFile> {
  // Non-blocking, so that a FIFO at the path is refused below instead of hanging the open.
  const flags = constants.O_RDONLY | constants.O_NONBLOCK | (followLink ? 0 : constants.O_NOFOLLOW);
  let file: FileHandle;
  try {
    file = await open(path, flags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { version: VERSION, keys: {} };
    // A save would replace the link with a file and the link's target would stop being updated.
    if (code === 'ELOOP' && !followLink) throw new CorruptStoreError(path, 'it became a symlink after the store was opened');
    throw error;
  }
  let text: string;
  try {
    const stats = await file.stat();
    if (!stats.isFile()) throw new CorruptStoreError(path, `${kindOf(stats)}, not a file`);
    text = await file.readFile('utf8');
  } finally {
    await file.close();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CorruptStoreError(path, text.length === 0 ? 'empty file' : `not JSON: ${(error as Error).message}`);
  }
  return checkStore(path, parsed);
}

/**
 * Exactly `{"version": 1, "keys": {<key>: {"sequence": <safe integer>, ...}}}`. Anything else is
 * refused: a save rewrites the whole file, so whatever it did not understand would be lost.
 */
function checkStore(path: string, parsed: unknown): StoreFile {
  if (!isObject(parsed)) throw new CorruptStoreError(path, `no "keys" object: the file holds ${kindOfJson(parsed)}`);
  const { version, keys } = parsed;
  // Another version may be laid out in any way, so its number says all there is to say.
  if (typeof version === 'number' && version !== VERSION) throw new StoreVersionError(path, version);
  const problems: string[] = [];
  if (!Object.hasOwn(parsed, 'version')) problems.push('no "version"');
  else if (version !== VERSION) problems.push(`"version" is ${kindOfJson(version)}, not the number ${VERSION}`);
  if (keys === undefined) problems.push('no "keys" object');
  else if (!isObject(keys)) problems.push(`"keys" is ${kindOfJson(keys)}, not an object`);
  else {
    const bad = Object.entries(keys).find(([, value]) => !isObject(value) || !Number.isSafeInteger(value.sequence));
    if (bad) problems.push(`key ${JSON.stringify(bad[0])} has no integer sequence`);
  }
  const extra = Object.keys(parsed).filter((field) => field !== 'version' && field !== 'keys');
  if (extra.length) problems.push(`unexpected top-level ${extra.length === 1 ? 'field' : 'fields'} ${extra.map((f) => JSON.stringify(f)).join(', ')}`);
  if (problems.length) throw new CorruptStoreError(path, problems.join('; '));
  return parsed as unknown as StoreFile;
}

/**
 * The file a path names once its symlinks are followed one by one, as the kernel would; it may not
 * exist yet (a dangling link: the store is created where the link points, as `echo > link` would).
 * A link's relative target is taken from the link's real directory, so `..` means what it does to
 * the kernel. A path that is not a link is returned as given, so messages name it as the user did.
 */
async function followLinks(path: string): Promise<string> {
  let current = path;
  for (let hops = 0; ; hops++) {
    let link: string;
    try {
      link = await readlink(current);
    } catch (error) {
      // EINVAL: not a symlink; ENOENT, ENOTDIR: nothing there yet. Either way the chain ends here.
      if (!['EINVAL', 'ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
      break;
    }
    if (hops === MAX_LINKS) throw new InvalidOptionError('store path', STORE_PATH_ALLOWED, path, `a symlink loop: more than ${MAX_LINKS} links`);
    current = isAbsolute(link) ? link : join(await realpath(dirname(current)), link);
  }
  const directory = dirname(current);
  const found = await stat(directory).catch((error: NodeJS.ErrnoException) => error);
  if (found instanceof Error || !found.isDirectory()) {
    const via = current === path ? '' : ` of its target ${current}`;
    const why = found instanceof Error ? found.code : 'not a directory';
    throw new InvalidOptionError('store path', STORE_PATH_ALLOWED, path, `the directory ${directory}${via} cannot be used: ${why}`);
  }
  return current;
}

/** Why JSON would not store the checkpoint as it is (an undefined field, a Date, NaN...), or nothing. */
function jsonLoss(checkpoint: Checkpoint): string | undefined {
  const proto: unknown = isObject(checkpoint) ? Object.getPrototypeOf(checkpoint) : undefined;
  if (proto !== Object.prototype && proto !== null) return 'not a plain object';
  for (const [field, value] of Object.entries(checkpoint)) {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      return `field ${JSON.stringify(field)}: ${(error as Error).message}`;
    }
    if (text === undefined || !isDeepStrictEqual(JSON.parse(text), value)) return `field ${JSON.stringify(field)} would not be stored as it is`;
  }
  if (Object.getOwnPropertySymbols(checkpoint).length) return 'a symbol key would not be stored';
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOfJson(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : `the ${typeof value} ${JSON.stringify(value)}`;
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}
