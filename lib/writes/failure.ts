import { ContendError } from '../errors.js';
import { thrownAt } from '../support/thrown-at.js';

/**
 * What a save threw, in one line: its message and the place in the user's code it came from
 * (thrownAt), not a stack of kilobytes.
 */
export function failureWhere(error: unknown): string {
  const e = error as Error;
  const at = thrownAt(e.stack);
  return `${e.message ?? String(error)}${at ? ` (at ${at})` : ''}`;
}

/** Runs a strategy's save; what it throws becomes one line naming the strategy (E_STRATEGY_FAILED). */
export async function strategySave<T>(strategy: string, save: () => T | Promise<T>): Promise<T> {
  try {
    return await save();
  } catch (error) {
    throw new ContendError('E_STRATEGY_FAILED', `${strategy} failed: ${failureWhere(error)}`);
  }
}
