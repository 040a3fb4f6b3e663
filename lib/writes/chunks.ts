import fs from 'node:fs';
import { promisify } from 'node:util';
import { threadId } from 'node:worker_threads';

/**
 * The file-system calls of the built-in strategies, in their callback form looked up at call time:
 * that is the form the step trace can hold (pause points) as well as count (crash points).
 */
export const steps = {
  open: (path: string, flags: string): Promise<number> => promisify(fs.open)(path, flags),
  write: (fd: number, data: Buffer, offset: number, length: number, position: number): Promise<unknown> =>
    promisify(fs.write)(fd, data, offset, length, position),
  fsync: (fd: number): Promise<void> => promisify(fs.fsync)(fd),
  close: (fd: number): Promise<void> => promisify(fs.close)(fd),
  rename: (from: string, to: string): Promise<void> => promisify(fs.rename)(from, to),
  unlink: (path: string): Promise<void> => promisify(fs.unlink)(path),
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
