import type { AdapterRef } from '../locks/types.js';
import type { FsStep } from '../writes/trace.js';

/** What a crash writer (workers/crash-writer) is told: save one document, and maybe die on the way. */
export interface CrashOrder {
  strategy: AdapterRef;
  path: string;
  data: string;
  /** 1-based step to die before; none: run to the end. */
  crashBefore?: number;
  /** Say `started` just before saving, for a parent that kills from outside. */
  announce?: boolean;
}

/** The steps of a save that ran to its end, or failed (then `error`, where it failed). */
export interface SaveReport {
  steps: FsStep[];
  error?: string;
}

/** What a crash writer says: that it is about to save (with `announce`), then its report. */
export type CrashWriterMessage = { type: 'started' } | ({ type: 'report' } & SaveReport);
