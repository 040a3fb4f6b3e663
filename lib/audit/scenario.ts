import type { AuditedLibrary } from './libraries.js';
import type { PropertyId, Role } from './properties.js';

/**
 * yes: the library has the property; no: it does not, and the detail shows how; n/a: the question
 * does not arise; not shown: contend could not observe what decides it (a save the traced fs does
 * not see), so it claims nothing; error: the scenario itself failed (the detail says how).
 */
export type Verdict = 'yes' | 'no' | 'n/a' | 'not shown' | 'error';

/** A property contend could not observe: never a "yes". */
export const notShown = (detail: string): Finding => ({ verdict: 'not shown', detail });

/** Whether an error says the save was not seen by the trace (E_UNTRACED). */
export const untraced = (error: unknown): error is Error => (error as { code?: unknown }).code === 'E_UNTRACED';

export interface Finding {
  verdict: Verdict;
  /** What was observed, in a sentence: the evidence a reader can check. */
  detail: string;
  /** A time the finding measured (recovery after a holder's death, a takeover), ms. */
  ms?: number;
}

/** The first line of an error's message: what a cell's detail quotes of a failure. */
export const firstLine = (error: unknown): string => String((error as Error).message ?? error).split('\n')[0]!;

/**
 * One scenario of the audit, run against one library: it answers one or more properties at once
 * (the crash points answer both "no torn target" and "no orphan temp").
 */
export interface AuditScenario {
  id: string;
  role: Role;
  properties: PropertyId[];
  run(lib: AuditedLibrary): Promise<Partial<Record<PropertyId, Finding>>>;
}
