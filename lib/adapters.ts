import { builtinLocks } from './locks/index.js';
import { WORKER_KINDS, type AdapterRef, type Lock, type LockAdapter, type LockContext } from './locks/types.js';
import { AdapterRegistry, adapterProblems, type Registered } from './registry.js';

function checkLock(value: unknown, where: string): LockAdapter {
  adapterProblems(value, where, [
    [(a) => typeof a.create === 'function', 'create(ctx, options) must be a function'],
    [
      (a) => !!a.excludes && WORKER_KINDS.every((k) => typeof (a.excludes as Record<string, unknown>)[k] === 'boolean'),
      `excludes must say true or false for each of ${WORKER_KINDS.join(', ')}`,
    ],
  ]);
  const adapter = value as LockAdapter;
  return { ...adapter, description: adapter.description ?? '' };
}

export const lockRegistry = new AdapterRegistry<LockAdapter>('lock', builtinLocks, checkLock);

/** Every lock name a case may use: the built-ins, then those registered in this process. */
export const lockNames = (): string[] => lockRegistry.names();

/** The adapter and the reference workers load it by; an unknown name lists the allowed ones. */
export const resolveLock = (name: unknown): Registered<LockAdapter> => lockRegistry.resolve(name);

/**
 * Makes a lock adapter of your own usable by name in every case and worker kind. The module is
 * imported here to check the adapter, and again by every thread and process that runs it.
 *
 * @param ref `module`: a file URL (`new URL('./my-lock.ts', import.meta.url).href`), an absolute
 *   path or a package name; `export`: the name the adapter is exported under.
 */
export const registerLock = (ref: { module: string; export: string }): Promise<LockAdapter> => lockRegistry.register(ref);

export const unregisterLock = (name: string): boolean => lockRegistry.unregister(name);

/** Loads the lock adapter a reference names; runs in the driver and in every worker. */
export const loadAdapter = (ref: AdapterRef): Promise<LockAdapter> => lockRegistry.load(ref);

/** An instance of the adapter, with its defaults under the options given. */
export function createLock(adapter: LockAdapter, ctx: LockContext, options: Record<string, unknown> = {}): Lock | Promise<Lock> {
  return adapter.create(ctx, { ...(adapter.defaults ?? {}), ...options });
}

/** The context of a contender on its own: memory and per-thread objects that nobody else shares. */
export function standaloneContext(ctx: Pick<LockContext, 'worker' | 'kind' | 'lockPath' | 'signal'>): LockContext {
  return { ...ctx, shared: new Int32Array(new SharedArrayBuffer(64)), local: (_key, make) => make() };
}
