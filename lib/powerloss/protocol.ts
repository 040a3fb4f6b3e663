import type { MessagePort } from 'node:worker_threads';
import type { AdapterRef } from '../locks/types.js';
import type { ErrorInfo } from '../case/protocol.js';
import type { FsImage, LogicalOp } from './model.js';

/** Record one save of `data` to `target` (in `dir`) with the strategy. */
export interface RecordOrder {
  strategy: AdapterRef;
  dir: string;
  target: string;
  data: string;
}

/** What a recorder sends back: structured clone makes its Buffers plain Uint8Arrays on the way. */
export type RecordReply = { ok: true; initial: FsImage; ops: LogicalOp[]; unseen: string[] } | { ok: false; error: ErrorInfo };

/** To a thread recorder (a piscina task): the order and the port to answer on. */
export interface RecordTask {
  order: RecordOrder;
  port: MessagePort;
}
