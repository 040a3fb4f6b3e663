export const OPS = ['write', 'read', 'exit'] as const;
export type Op = (typeof OPS)[number];

export interface Action {
  /** Worker number, from 1. */
  worker: number;
  op: Op;
}

export interface Tick {
  /** Seconds from the start of the run (period mode sleeps until then; step mode only keeps the order). */
  at: number;
  actions: Action[];
}

export const PATTERNS = ['staggered', 'random'] as const;
export type Pattern = (typeof PATTERNS)[number];

export interface Schedule {
  workers: number;
  period: number;
  pattern: Pattern;
  seed?: number;
  ticks: Tick[];
}

export const ORDERINGS = ['force-write', 'force-read', 'as-generated'] as const;
export type Ordering = (typeof ORDERINGS)[number];
