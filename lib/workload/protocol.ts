import type { MessagePort } from 'node:worker_threads';
import type { ClientKind } from './config.js';
import type { StorageSpec } from './manifest.js';
import type { ProgressSpec } from './progress.js';

/** To a thread client (a piscina task): its spec and the port to the fleet. */
export interface ClientTask {
  spec: ClientSpec;
  port: MessagePort;
}

/** To a process client, first: its spec (a thread client has it in its task). */
export type ClientAssignment = { type: 'spec'; spec: ClientSpec };

/** From the fleet to a client once every client is ready. */
export type FleetMessage = { type: 'go' };

/** From one client host to the fleet. */
export type ClientMessage =
  /** The client's thread or process is up; it opens its storage next. */
  | { type: 'loaded' }
  | { type: 'ready' }
  | { type: 'done'; records: OpRecord[] }
  | { type: 'failed'; action: string; error: string };

/** One client of the fleet, as it is sent to its thread or process. */
export interface ClientSpec {
  role: 'writer' | 'reader';
  /** `w1`, `w2`, … `r1`, …: how the client is named in the history. */
  name: string;
  /** The client's number in the fleet, from 1 (writers first): how faults are reported. */
  worker: number;
  kind: ClientKind;
  /** Operations per second; arrivals are Poisson, seeded. */
  rate: number;
  durationMs: number;
  /** Writers: the keys they write. */
  keys: string[];
  maxRetries: number;
  deleteRatio: number;
  thinkMs: number;
  seed: number;
  latencyMs: number;
  /** Storage unavailable in these windows, ms from the start. */
  outages: [number, number][];
  storage: StorageSpec;
  /** Memory for in-memory locks, the same in every thread of the fleet (a process makes its own). */
  shared?: SharedArrayBuffer;
  /** Where the client publishes its current action, for the report of its death or hang. */
  progress?: ProgressSpec;
}

/**
 * One attempt in the history: its invocation (start, what it read) and its completion (ok, fail
 * with the version found, or error). A writer's operation is one record per attempt.
 */
export interface OpRecord {
  client: string;
  /** Operation number within the client; attempts of one operation share it. */
  op: number;
  attempt: number;
  f: 'put' | 'delete' | 'read';
  key?: string;
  value?: string;
  /** Writers: the manifest version the attempt's snapshot had. */
  base?: number;
  type: 'ok' | 'fail' | 'error';
  /** ok write: the version committed; fail: the version found; read: the snapshot's version. */
  version?: number;
  /**
   * When the operation was due on the client's Poisson clock, ms from the start (every attempt of
   * it carries the same): end − due is its latency corrected for coordinated omission, since a
   * client that fell behind started it late.
   */
  due?: number;
  /** Reads: digest and size of the snapshot, duplicated keys in it. */
  digest?: number;
  size?: number;
  duplicates?: string[];
  error?: string;
  /** ms from the fleet's start, on the client's own clock. */
  start: number;
  end: number;
}
