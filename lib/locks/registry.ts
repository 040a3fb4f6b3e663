import { builtinLocks } from './index.js';
import type { LockAdapter } from './types.js';
import { AdapterRegistry, type Registered } from '../modules/registry.js';
import { lockLoader } from './load.js';

export const lockRegistry = new AdapterRegistry<LockAdapter>(
  'lock',
  builtinLocks,
  lockLoader,
  "a lock of your own is { module: './my-lock.ts', export: 'MyLock' }, or its name once registerLock() has it; on the command line, --lock-module ./my-lock.ts#MyLock, then its name",
);

/** Every lock name a case may use: the built-ins, then those registered in this process. */
export const lockNames = (): string[] => lockRegistry.names();

/** The adapter and the reference workers load it by; an unknown name lists the allowed ones. */
export const resolveLock = (name: unknown): Registered<LockAdapter> => lockRegistry.resolve(name);

/**
 * Makes a lock adapter of your own usable by name in every case and worker kind. The module is
 * imported here to check the adapter, and again by every thread and process that runs it.
 *
 * @param ref `module`: a file URL (`new URL('../my-lock.ts', import.meta.url).href`), an absolute
 *   path or a package name; `export`: the name the adapter is exported under.
 */
export const registerLock = (ref: { module: string; export: string }): Promise<LockAdapter> => lockRegistry.register(ref);

export const unregisterLock = (name: string): boolean => lockRegistry.unregister(name);

export { createLock, loadAdapter, lockOptionsOf, standaloneContext } from './load.js';
