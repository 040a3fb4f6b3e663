import fs from 'node:fs';
import { promisify } from 'node:util';
import { threadId } from 'node:worker_threads';

type Promised = (...args: unknown[]) => Promise<unknown>;
const promisified = new WeakMap<object, Promised>();

/**
 * util.promisify of the function given, made once per function: it is looked up at call time,
 * and is the same (Node's own, or the trace's wrapper of it) from one save to the next.
 */
function promised(fn: object): Promised {
  let made = promisified.get(fn);
  if (!made) promisified.set(fn, (made = promisify(fn as (...args: unknown[]) => void) as Promised));
  return made;
}

/**
 * The file-system calls of the built-in strategies, in their callback form looked up at call time:
 * that is the form the step trace can hold (pause points) as well as count (crash points).
 */
export const steps = {
  open: (path: string, flags: string): Promise<number> => promised(fs.open)(path, flags) as Promise<number>,
  write: (fd: number, data: Buffer, offset: number, length: number, position: number): Promise<unknown> =>
    promised(fs.write)(fd, data, offset, length, position),
  fsync: (fd: number): Promise<void> => promised(fs.fsync)(fd) as Promise<void>,
  close: (fd: number): Promise<void> => promised(fs.close)(fd) as Promise<void>,
  rename: (from: string, to: string): Promise<void> => promised(fs.rename)(from, to) as Promise<void>,
  unlink: (path: string): Promise<void> => promised(fs.unlink)(path) as Promise<void>,
};

/**
 * Writes are made in 16 KiB pieces, as buffered writers (Python's json.dump, Node streams) make
 * them: a crash between two pieces leaves part of the document, which is what a torn file is.
 */
export const CHUNK = 16 * 1024;

export async function writeInChunks(fd: number, data: string): Promise<void> {
  const bytes = Buffer.from(data);
  for (let at = 0; at < bytes.length; at += CHUNK) await steps.write(fd, bytes, at, Math.min(CHUNK, bytes.length - at), at);
}

let counter = 0;
/** A temp name next to the target, unique to this process, thread and save. */
export function uniqueTemp(path: string): string {
  return `${path}.${process.pid}.${threadId}.${++counter}.tmp`;
}

/**
 * The common core of the rename-based strategies: write the temp file completely (optionally
 * fsynced), close it, rename it over the target. A failure removes the temp file.
 */
export async function writeThenRename(path: string, data: string, temp: string, options: { fsync: boolean; flags: 'w' | 'wx' }): Promise<void> {
  let fd: number | undefined;
  try {
    fd = await steps.open(temp, options.flags);
    await writeInChunks(fd, data);
    if (options.fsync) await steps.fsync(fd);
    const open = fd;
    fd = undefined;
    await steps.close(open);
    await steps.rename(temp, path);
  } catch (error) {
    if (fd !== undefined) await steps.close(fd).catch(() => {});
    await steps.unlink(temp).catch(() => {});
    throw error;
  }
}
