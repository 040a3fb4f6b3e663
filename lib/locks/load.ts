import { AdapterLoadError, InvalidOptionError } from '../errors.js';
import { AdapterLoader, adapterProblems, builtinImporter } from '../modules/registry.js';
import { WORKER_KINDS, type AdapterRef, type Lock, type LockAdapter, type LockContext } from './types.js';

// What every worker needs to make its lock: no table of the built-ins, which would load them all
// (and what they import) into every thread and process; the registry is the driver's side.

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

/** Loads locks from their reference: a built-in from its own file here, `<name>.js` (builtinImporter; the import() is one the test runner leaves as written). */
export const lockLoader = new AdapterLoader<LockAdapter>(
  'lock',
  checkLock,
  undefined,
  builtinImporter(import.meta.url, (name) => import(/* @vite-ignore */ `./${name}.js`)),
);

/** Loads the lock adapter a reference names; runs in the driver and in every worker. */
export const loadAdapter = (ref: AdapterRef): Promise<LockAdapter> => lockLoader.load(ref);

/**
 * The options a lock is made with: its defaults under those given, checked once. A key the adapter
 * has no default for, or a value of another type than the default's, is refused by name; then the
 * adapter's own `checkOptions` judges the values (a stale time below what its library allows).
 */
export function lockOptionsOf(adapter: LockAdapter, given: unknown = {}): Record<string, unknown> {
  if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new InvalidOptionError('lock options', 'an object, e.g. {"staleMs":2000}', given);
  const defaults = (adapter.defaults ?? {}) as Record<string, unknown>;
  if (adapter.defaults) {
    const known = Object.keys(defaults);
    for (const [key, value] of Object.entries(given)) {
      if (!known.includes(key)) throw new InvalidOptionError(`${adapter.name} lock option`, known.length ? known.join(', ') : 'nothing (it takes no options)', key);
      const type = typeof defaults[key];
      if (typeof value !== type || (type === 'number' && !Number.isFinite(value))) throw new InvalidOptionError(`${adapter.name} lock option ${key}`, `a ${type === 'number' ? 'finite number' : type}`, value);
    }
  }
  const options = { ...defaults, ...given };
  adapter.checkOptions?.(options);
  return options;
}

/** An instance of the adapter, with its defaults under the options given. */
export async function createLock(adapter: LockAdapter, ctx: LockContext, options: Record<string, unknown> = {}): Promise<Lock> {
  const lock: unknown = await adapter.create(ctx, lockOptionsOf(adapter, options));
  const missing = ['tryAcquire', 'acquire', 'release'].filter((m) => typeof (lock as Record<string, unknown> | null)?.[m] !== 'function');
  if (missing.length) {
    throw new AdapterLoadError(`lock adapter "${adapter.name}": create() returned ${describeValue(lock)}, not a lock (missing ${missing.join(', ')}(); a lock has tryAcquire(), acquire(), release())`);
  }
  return lock as Lock;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return `an object with ${Object.keys(value).join(', ') || 'no fields'}`;
  return `${typeof value} ${JSON.stringify(value) ?? String(value)}`;
}

/** The context of a contender on its own: memory and per-thread objects that nobody else shares. */
export function standaloneContext(ctx: Pick<LockContext, 'worker' | 'kind' | 'lockPath' | 'signal'>): LockContext {
  return { ...ctx, shared: new Int32Array(new SharedArrayBuffer(64)), local: (_key, make) => make() };
}
