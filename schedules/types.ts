export const OPS = ['write', 'read', 'exit', 'resume'] as const;
/** `resume` lets a write that was held at a pause point go on. */
export type Op = (typeof OPS)[number];

export interface Action {
  /** Worker number, from 1. */
  worker: number;
  op: Op;
  /**
   * A write only: hold it just before this file-system step of its save — an op (`write`, `close`,
   * `rename`, …) and optionally which one (`write#2`) — until the same worker's `resume`.
   */
  pause?: string;
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
