import type { AdapterRef } from '../locks/types.js';

/** What one kill-fuzz child (workers/fuzz-writer) is told to do; it says nothing back but its journal. */
export interface WriterOrder {
  state: string;
  journal: string;
  /** The child's key in the store. */
  key: string;
  start: number;
  /** Adapters by reference: a user's own module is imported here, as in any worker. */
  lock: AdapterRef;
  lockOptions?: Record<string, unknown>;
  write: AdapterRef;
  /** Fault injection: leave after this many puts. */
  quitAfter?: number;
}
