import { AsyncLocalStorage } from 'node:async_hooks';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { addFsCallHook, installFsCalls, type CallOutcome, type FsCall } from '../support/fs-calls.js';
import type { FsImage, LogicalOp } from './model.js';
import { describeThrown, toErrorInfo } from '../case/protocol.js';
import { loadWriteStrategy } from '../writes/load.js';
import type { WorkerKind } from '../locks/types.js';
import { ContendError } from '../errors.js';
import { settledWithin } from '../support/deadline.js';
import type { RecordOrder, RecordReply } from './protocol.js';

/** A save, recorded: what the directory held before it, and the logical operations it made there. */
export interface Recording {
  initial: FsImage;
  ops: LogicalOp[];
  /** Calls the recorder does not turn into operations (a write to a descriptor it did not see opened). */
  unseen: string[];
}

interface OpenFile {
  path: string;
  inode: number;
  /** Where the next write without a position lands. */
  position: number;
  append: boolean;
  directory: boolean;
}

const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;

/** What open's flags do: create a missing file, empty an existing one, write at the end. */
function flagsOf(flags: unknown): { create: boolean; truncate: boolean; append: boolean } {
  if (typeof flags === 'number') return { create: (flags & O_CREAT) !== 0, truncate: (flags & O_TRUNC) !== 0, append: (flags & O_APPEND) !== 0 };
  const f = typeof flags === 'string' ? flags : 'r';
  return { create: /[wa]/.test(f), truncate: f.startsWith('w'), append: f.startsWith('a') };
}

const bytesOf = (data: unknown, encoding: unknown = 'utf8'): Buffer =>
  typeof data === 'string' ? Buffer.from(data, encoding as BufferEncoding) : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(String(data));

/** The calls of one save, turned into logical operations as they finish. */
class Recorder {
  readonly ops: LogicalOp[] = [];
  readonly unseen: string[] = [];
  private readonly names: Map<string, number>;
  private readonly sizes: Map<number, number>;
  private readonly dirs: Set<string>;
  private readonly open = new Map<number, OpenFile>();
  private readonly handles = new Map<string, number>();
  private next: number;

  constructor(initial: FsImage) {
    this.names = new Map(initial.entries);
    this.sizes = new Map([...initial.contents].map(([inode, c]) => [inode, c.length]));
    this.dirs = new Set(initial.dirs);
    this.next = Math.max(0, ...initial.entries.values()) + 1;
  }

  private openPath(path: string, flags: unknown, fd: number | undefined): number {
    const { create, truncate, append } = flagsOf(flags);
    let inode = this.names.get(path);
    if (inode === undefined && create) {
      inode = this.next++;
      this.names.set(path, inode);
      this.sizes.set(inode, 0);
      this.ops.push({ op: 'create', path, inode });
    } else if (inode !== undefined && truncate) {
      this.sizes.set(inode, 0);
      this.ops.push({ op: 'truncate', inode, size: 0 });
    }
    const directory = this.dirs.has(path);
    const known = inode ?? -1;
    if (fd !== undefined) this.open.set(fd, { path, inode: known, position: 0, append, directory });
    return known;
  }

  private write(inode: number, offset: number, data: Buffer): void {
    this.sizes.set(inode, Math.max(this.sizes.get(inode) ?? 0, offset + data.length));
    this.ops.push({ op: 'write', inode, offset, data: Buffer.from(data) });
  }

  /** A write through a descriptor: as many bytes as the call says it wrote, at its position or the file's. */
  private writeAt(file: OpenFile, bytes: Buffer, position: unknown, outcome: CallOutcome): void {
    const written = typeof outcome.result === 'number' ? outcome.result : (outcome.result as { bytesWritten?: number } | undefined)?.bytesWritten ?? bytes.length;
    const data = bytes.subarray(0, written);
    const at = file.append ? (this.sizes.get(file.inode) ?? 0) : typeof position === 'number' ? position : file.position;
    if (typeof position !== 'number') file.position = at + data.length;
    this.write(file.inode, at, data);
  }

  private file(fdOrPath: unknown): OpenFile | undefined {
    if (typeof fdOrPath === 'number') return this.open.get(fdOrPath);
    const fd = this.handles.get(resolve(String(fdOrPath)));
    return fd === undefined ? undefined : this.open.get(fd);
  }

  // Whole-file writes by path (writeFile, appendFile, copyFile's target).
  private writeWhole(path: string, flag: string, data: Buffer): void {
    const inode = this.openPath(path, flag, undefined);
    this.write(inode, flag.startsWith('a') ? (this.sizes.get(inode) ?? 0) : 0, data);
  }

  finished(call: FsCall, outcome: CallOutcome): void {
    if (outcome.error !== undefined || call.nested) return;
    const [first, second] = call.args;
    const path = typeof first === 'number' || first === undefined ? undefined : resolve(String(first instanceof URL ? first.pathname : first));
    switch (call.op) {
      case 'open': {
        const result = outcome.result;
        const fd = typeof result === 'number' ? result : (result as { fd?: number } | undefined)?.fd;
        this.openPath(path!, second, fd);
        if (typeof result === 'object' && fd !== undefined) this.handles.set(path!, fd);
        return;
      }
      case 'write': {
        const file = this.file(first);
        if (!file) return void this.unseen.push(`write to ${String(first)}`);
        // After the descriptor (or a FileHandle's path): the data, then its offset, length, position.
        const [data, a, b, c] = call.args.slice(1);
        let bytes: Buffer;
        let position: unknown;
        if (typeof data === 'string') {
          bytes = bytesOf(data, b ?? 'utf8');
          position = a;
        } else {
          const all = bytesOf(data);
          const offset = typeof a === 'number' ? a : 0;
          const length = typeof b === 'number' ? b : all.length - offset;
          bytes = all.subarray(offset, offset + length);
          position = c;
        }
        this.writeAt(file, bytes, position, outcome);
        return;
      }
      case 'writev': {
        const file = this.file(first);
        if (!file) return void this.unseen.push(`writev to ${String(first)}`);
        const buffers = Array.isArray(second) ? (second as unknown[]) : [];
        this.writeAt(file, Buffer.concat(buffers.map((b) => bytesOf(b))), call.args[2], outcome);
        return;
      }
      case 'writeFile':
      case 'appendFile': {
        const options = call.args[2];
        const flag = (typeof options === 'object' && options && (options as { flag?: string }).flag) || (call.op === 'appendFile' ? 'a' : 'w');
        const encoding = typeof options === 'string' ? options : (options as { encoding?: string } | undefined)?.encoding;
        const file = call.form === 'handle' || typeof first === 'number' ? this.file(first) : undefined;
        if (file) this.write(file.inode, call.op === 'appendFile' ? (this.sizes.get(file.inode) ?? 0) : 0, bytesOf(second, encoding ?? 'utf8'));
        else if (path !== undefined) this.writeWhole(path, String(flag), bytesOf(second, encoding ?? 'utf8'));
        return;
      }
      case 'copyFile': {
        const to = resolve(String(second));
        this.writeWhole(to, 'w', readFileSync(to));
        return;
      }
      case 'fsync':
      case 'fdatasync': {
        const file = this.file(first);
        if (!file) return void this.unseen.push(`${call.op} of ${String(first)}`);
        this.ops.push(file.directory ? { op: 'fsync-dir', path: file.path } : { op: 'fsync', inode: file.inode });
        return;
      }
      case 'close':
        if (typeof first === 'number') this.open.delete(first);
        else if (path !== undefined) this.handles.delete(path);
        return;
      case 'ftruncate':
      case 'truncate': {
        const file = call.op === 'ftruncate' || call.form === 'handle' ? this.file(first) : undefined;
        const inode = file?.inode ?? (path !== undefined ? this.names.get(path) : undefined);
        const size = typeof second === 'number' ? second : 0;
        if (inode === undefined) return void this.unseen.push(`${call.op} of ${String(first)}`);
        this.sizes.set(inode, size);
        this.ops.push({ op: 'truncate', inode, size });
        return;
      }
      case 'rename':
      case 'link': {
        const to = resolve(String(second));
        const inode = this.names.get(path!);
        if (inode !== undefined) {
          if (call.op === 'rename') this.names.delete(path!);
          this.names.set(to, inode);
        }
        this.ops.push({ op: call.op, from: path!, to });
        return;
      }
      case 'unlink':
      case 'rm':
        this.names.delete(path!);
        this.ops.push({ op: 'unlink', path: path! });
        return;
      case 'mkdir':
        // mkdir -p of a directory that is there makes nothing.
        if (this.dirs.has(path!)) return;
        this.dirs.add(path!);
        this.ops.push({ op: 'mkdir', path: path! });
        return;
      case 'sync':
        this.ops.push({ op: 'sync' });
        return;
      default:
    }
  }
}

/** What a directory holds: its files by path (inodes numbered in name order) and its subdirectories. */
export function imageOf(dir: string): FsImage {
  const entries = new Map<string, number>();
  const contents = new Map<number, Buffer>();
  const dirs = new Set<string>([resolve(dir)]);
  const walk = (at: string): void => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) {
        dirs.add(path);
        walk(path);
      } else {
        const inode = entries.size + 1;
        entries.set(path, inode);
        contents.set(inode, readFileSync(path));
      }
    }
  };
  walk(resolve(dir));
  return { entries, contents, dirs };
}

const recording = new AsyncLocalStorage<{ recorder: Recorder; busy: boolean }>();
let hooked = false;

/**
 * Runs `save` and records the logical operations of its fs calls in this thread (and the promises
 * and callbacks that follow from it), with what `dir` held before. Calls on paths outside `dir`
 * are recorded too; the crash states judge only what is reachable by name.
 */
export async function recordSave(dir: string, save: () => unknown): Promise<Recording> {
  if (!hooked) {
    hooked = true;
    addFsCallHook({
      after(call, outcome) {
        const store = recording.getStore();
        if (!store || store.busy) return;
        // The recorder's own reads (copyFile's target) are no calls of the save.
        store.busy = true;
        try {
          store.recorder.finished(call, outcome);
        } finally {
          store.busy = false;
        }
      },
    });
  }
  const initial = imageOf(dir);
  const recorder = new Recorder(initial);
  await recording.run({ recorder, busy: false }, async () => save());
  return { initial, ops: recorder.ops, unseen: recorder.unseen };
}

/** Carries out a record order where it runs (the calling thread, a worker_thread, a child). */
export async function recordOrder(order: RecordOrder): Promise<RecordReply> {
  try {
    // Before the strategy loads: a library that captures fs when it loads must capture the routed fs.
    installFsCalls();
    const { subject, dir } = order;
    if ('strategy' in subject) {
      const strategy = await loadWriteStrategy(subject.strategy);
      return { ok: true, ...(await recordSave(dir, () => strategy.save(subject.target, subject.data))) };
    }
    const { powerlossOpsRegistry } = await import('./ops.js');
    const ops = await powerlossOpsRegistry.load(subject.ops);
    await ops.setup?.({ dir });
    return { ok: true, ...(await recordSave(dir, () => ops.save({ dir }))) };
  } catch (error) {
    return { ok: false, error: toErrorInfo(error) };
  }
}

// Structured clone turns Buffers into Uint8Arrays; the model wants Buffers.
const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function revive(reply: RecordReply, name: string): Recording {
  if (!reply.ok) throw new ContendError('E_RECORD', `${name} failed while recorded: ${describeThrown(reply.error)}`);
  return {
    initial: { entries: reply.initial.entries, contents: new Map([...reply.initial.contents].map(([k, v]) => [k, asBuffer(v)])), dirs: reply.initial.dirs },
    ops: reply.ops.map((op) => (op.op === 'write' ? { ...op, data: asBuffer(op.data) } : op)),
    unseen: reply.unseen,
  };
}

/** A recording past its limit; `abandoned` when the save could not be ended (it runs in this thread). */
export class RecordingTimeout extends ContendError {
  readonly abandoned: boolean;
  constructor(name: string, ms: number, kind: WorkerKind) {
    super('E_RECORD', `${name}: recording its save (the recorder's start, the module's load, setup and the save) did not end within ${ms} ms${kind === 'async' ? '; the save runs on in this process' : ''}`);
    this.abandoned = kind === 'async';
  }
}

/**
 * Records the order's save in an async task of this thread, a worker_thread or a child process:
 * each records the calls of its own thread, so a save that behaves alike gives the same operations.
 * `name` is the writer's, as errors name it.
 */
export async function recordIn(kind: WorkerKind, order: RecordOrder, name: string, timeoutMs: number): Promise<Recording> {
  // A save that never returns would hold the run for ever (or end it, in this thread, with Node's
  // exit status 13 and no word): its recorder is ended past the limit, and the run with an error.
  const hung = (): ContendError => new RecordingTimeout(name, timeoutMs, kind);
  const endedWithin = <R>(ended: Promise<R>, kill: () => Promise<unknown>): Promise<R> =>
    settledWithin(ended, timeoutMs, hung).catch(async (error: unknown) => {
      await kill();
      throw error;
    });
  if (kind === 'async') return revive(await settledWithin(recordOrder(order), timeoutMs, hung), name);
  if (kind === 'thread') {
    const { runPinned } = await import('../hosts/pools.js');
    let reply: RecordReply | undefined;
    const run = runPinned('powerloss-recorder', { order }, (m) => (reply = m));
    const why = await endedWithin(run.ended, () => run.kill());
    if (!reply) throw new ContendError('E_RECORD', `${name}: the recording thread ended without a reply${why ? `: ${why}` : ''}`);
    return revive(reply, name);
  }
  const { launch } = await import('../hosts/launch.js');
  // A built-in strategy writes local files only (ownFileCode); a user's operations are the user's code.
  const filesOnly = 'strategy' in order.subject && 'builtin' in order.subject.strategy;
  const host = launch('powerloss-recorder', { env: { ...process.env, CONTEND_POWERLOSS_CHILD: '1' }, filesOnly });
  let reply: RecordReply | undefined;
  host.onMessage((m) => (reply = m));
  host.send(order);
  const how = await endedWithin(host.exited, () => host.kill());
  await host.closed;
  if (!reply) throw new ContendError('E_RECORD', `${name}: the recording process ended without a reply: ${how}`);
  return revive(reply, name);
}
