import type { MessagePort } from 'node:worker_threads';
import type { ClientSpec, OpRecord } from './client.js';

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
