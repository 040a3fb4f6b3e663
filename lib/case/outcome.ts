export const OUTCOMES = ['intact', 'overwritten', 'torn', 'missing'] as const;
/**
 * What a read found: `intact` (exactly what this worker wrote), `overwritten` (valid JSON,
 * another writer's), `torn` (not parseable), `missing` (no file).
 */
export type Outcome = (typeof OUTCOMES)[number];

export interface ReadResult {
  outcome: Outcome;
  /** For `overwritten`: the worker whose content was read, when it says so. */
  by?: number;
}

/** Classifies what a read returned against what this worker last wrote. */
export function classifyRead(text: string | undefined, ownContent: string | undefined): ReadResult {
  if (text === undefined) return { outcome: 'missing' };
  if (ownContent !== undefined && text === ownContent) return { outcome: 'intact' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { outcome: 'torn' };
  }
  // Writers that format the document themselves (lowdb, conf) save the same value in other bytes.
  if (ownContent !== undefined && JSON.stringify(parsed) === JSON.stringify(JSON.parse(ownContent))) return { outcome: 'intact' };
  const by = (parsed as { worker?: unknown } | null)?.worker;
  return typeof by === 'number' ? { outcome: 'overwritten', by } : { outcome: 'overwritten' };
}

/** `[overwritten ×4, intact]`: a vector in the compact form used by cases and reports. */
export function formatVector(vector: readonly string[]): string {
  const runs: string[] = [];
  for (let i = 0; i < vector.length; ) {
    let j = i;
    while (j < vector.length && vector[j] === vector[i]) j++;
    runs.push(j - i > 1 ? `${vector[i]} ×${j - i}` : `${vector[i]}`);
    i = j;
  }
  return `[${runs.join(', ')}]`;
}
