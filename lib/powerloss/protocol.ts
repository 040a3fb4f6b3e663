import type { MessagePort } from 'node:worker_threads';
import type { AdapterRef } from '../locks/types.js';
import type { ErrorInfo } from '../case/protocol.js';
import type { FsImage, LogicalOp } from './model.js';

/** What saves: a write strategy saving `data` to `target`, or your operations' setup and save. */
export type RecordSubject = { strategy: AdapterRef; target: string; data: string } | { ops: AdapterRef };

/** Record one save in `dir`. */
export interface RecordOrder {
  subject: RecordSubject;
  dir: string;
}

/** What a recorder sends back: structured clone makes its Buffers plain Uint8Arrays on the way. */
export type RecordReply = { ok: true; initial: FsImage; ops: LogicalOp[]; unseen: string[] } | { ok: false; error: ErrorInfo };

/** To a thread recorder (a piscina task): the order and the port to answer on. */
export interface RecordTask {
  order: RecordOrder;
  port: MessagePort;
}
