import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { threadId } from 'node:worker_threads';

/**
 * Writes are made in 16 KiB pieces, as buffered writers (Python's json.dump, Node streams) make
 * them: a crash between two pieces leaves part of the document, which is what a torn file is.
 */
export const CHUNK = 16 * 1024;

export function writeInChunks(fd: number, data: string): void {
  const bytes = Buffer.from(data);
  for (let at = 0; at < bytes.length; at += CHUNK) writeSync(fd, bytes, at, Math.min(CHUNK, bytes.length - at), at);
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
export function writeThenRename(path: string, data: string, temp: string, options: { fsync: boolean; flags: 'w' | 'wx' }): void {
  let fd: number | undefined;
  try {
    fd = openSync(temp, options.flags);
    writeInChunks(fd, data);
    if (options.fsync) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // already gone, or never made
    }
    throw error;
  }
}
