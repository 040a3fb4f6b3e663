import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A CommonJS dependency loaded on its first use instead of at import: importing contend stays
 * cheap, and a run that never takes a kernel lock never loads the native addon behind it.
 * Synchronous, unlike import(), so the functions that need it can stay synchronous too.
 */
export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
