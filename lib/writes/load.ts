import { AdapterLoader, adapterProblems, builtinImporter } from '../modules/registry.js';
import type { AdapterRef } from '../locks/types.js';
import { installFsTrace } from './trace.js';
import type { WriteStrategy } from './types.js';

// What every worker needs to load its write strategy, without the table of the built-ins (the
// registry, the driver's side), which would load every strategy into every thread and process.

function checkStrategy(value: unknown, where: string): WriteStrategy {
  adapterProblems(value, where, [[(a) => typeof a.save === 'function', 'save(path, data) must be a function']]);
  const strategy = value as WriteStrategy;
  return { ...strategy, description: strategy.description ?? '' };
}

/** Loads write strategies from their reference: a built-in from its own file here, `<name>.js` (builtinImporter; the import() is one the test runner leaves as written). */
export const strategyLoader = new AdapterLoader<WriteStrategy>(
  'strategy',
  checkStrategy,
  installFsTrace,
  builtinImporter(import.meta.url, (name) => import(/* @vite-ignore */ `./${name}.js`)),
);

export const loadWriteStrategy = (ref: AdapterRef): Promise<WriteStrategy> => strategyLoader.load(ref);
