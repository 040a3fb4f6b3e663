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
