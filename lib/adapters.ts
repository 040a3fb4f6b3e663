import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AdapterLoadError, InvalidOptionError } from './errors.js';
import { builtinLocks } from './locks/index.js';
import { WORKER_KINDS, type AdapterRef, type LockAdapter } from './locks/types.js';

interface Registered {
  adapter: LockAdapter;
  ref: AdapterRef;
}

const userLocks = new Map<string, Registered>();

/** Every lock name a case may use: the built-ins, then those registered in this process. */
export function lockNames(): string[] {
  return [...builtinLocks.keys(), ...userLocks.keys()];
}

/** The adapter and the reference workers load it by; an unknown name lists the allowed ones. */
export function resolveLock(name: unknown): Registered {
  if (typeof name === 'string') {
    const builtin = builtinLocks.get(name);
    if (builtin) return { adapter: builtin, ref: { builtin: name } };
    const user = userLocks.get(name);
    if (user) return user;
  }
  throw new InvalidOptionError('lock', lockNames().join(', '), name);
}

/**
 * Makes a lock adapter of your own usable by name in every case and worker kind. The module is
 * imported here to check the adapter, and again by every thread and process that runs it.
 *
 * @param ref `module`: a file URL (`new URL('./my-lock.ts', import.meta.url).href`), an absolute
 *   path or a package name; `export`: the name the adapter is exported under.
 */
export async function registerLock(ref: { module: string; export: string }): Promise<LockAdapter> {
  const normalised = { module: normaliseModule(ref.module), export: ref.export };
  const adapter = await loadAdapter(normalised);
  if (builtinLocks.has(adapter.name)) {
    throw new AdapterLoadError(`a lock adapter named "${adapter.name}" is built in; give yours another name`);
  }
  userLocks.set(adapter.name, { adapter, ref: normalised });
  return adapter;
}

export function unregisterLock(name: string): boolean {
  return userLocks.delete(name);
}

// Threads and process hosts outlive a case: a module is imported once per thread, not per case.
const loaded = new Map<string, Promise<LockAdapter>>();

/** Loads the adapter a reference names; runs in the driver and in every worker. */
export async function loadAdapter(ref: AdapterRef): Promise<LockAdapter> {
  if ('builtin' in ref) {
    const adapter = builtinLocks.get(ref.builtin);
    if (!adapter) throw new InvalidOptionError('lock', [...builtinLocks.keys()].join(', '), ref.builtin);
    return adapter;
  }
  const key = `${ref.module}#${ref.export}`;
  let adapter = loaded.get(key);
  if (!adapter) {
    adapter = importAdapter(ref);
    loaded.set(key, adapter);
    // A failed import may succeed later (a file being written); do not remember the failure.
    adapter.catch(() => loaded.delete(key));
  }
  return adapter;
}

async function importAdapter(ref: { module: string; export: string }): Promise<LockAdapter> {
  let namespace: Record<string, unknown>;
  try {
    namespace = await importModule(ref.module);
  } catch (error) {
    throw new AdapterLoadError(`cannot import lock adapter module ${ref.module}: ${(error as Error).message}`);
  }
  return checkAdapter(namespace[ref.export], `${ref.module}#${ref.export}`);
}

// TypeScript adapters go through tsx, scoped to this one import, so a user's own `.ts`
// adapter runs in threads and processes without a build step of theirs.
async function importModule(specifier: string): Promise<Record<string, unknown>> {
  if (/\.[mc]?ts$/.test(specifier)) {
    // tsx would otherwise keep a transform cache in the temp directory, a leftover of every run.
    process.env.TSX_DISABLE_CACHE ??= '1';
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(specifier, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(specifier)) as Record<string, unknown>;
}

function normaliseModule(module: string): string {
  return isAbsolute(module) ? pathToFileURL(module).href : module;
}

function checkAdapter(value: unknown, where: string): LockAdapter {
  const a = value as Partial<LockAdapter> | undefined;
  const problems: string[] = [];
  if (!a || typeof a !== 'object') problems.push('no object exported under that name');
  else {
    if (typeof a.name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(a.name)) problems.push('name must be a lower-case word (a-z, 0-9, -)');
    if (typeof a.create !== 'function') problems.push('create(ctx, options) must be a function');
    if (!a.excludes || WORKER_KINDS.some((k) => typeof a.excludes?.[k] !== 'boolean')) {
      problems.push(`excludes must say true or false for each of ${WORKER_KINDS.join(', ')}`);
    }
  }
  if (problems.length) throw new AdapterLoadError(`not a lock adapter: ${where}: ${problems.join('; ')}`);
  return { description: '', ...a } as LockAdapter;
}
