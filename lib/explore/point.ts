import { dirname, resolve } from 'node:path';
import type { FsCall } from '../support/fs-calls.js';

/**
 * Where an actor stops and the explorer chooses who moves next: an fs call it is about to make, its
 * lock's entry (`lock.try`) or exit (`lock.release`), or a point the user named (`point('name')`).
 * Plain data: it crosses threads and processes.
 */
export interface Point {
  /** `open`, `rename`, `existsSync`…: the call; `lock.try`, `lock.release`; or the user's name. */
  op: string;
  /** For timelines: the paths, shortened to the exploration's directory. */
  detail: string;
  /**
   * What it observes and what it changes: a path (a file's content and its existence), a
   * directory's listing (`dir/`), the lock (`lock`), or `*` (everything: a point of the user's).
   * Two points commute unless one changes what the other observes or changes.
   */
  reads: string[];
  writes: string[];
  /**
   * Directories whose listing it changes by making or removing a name. Two such changes commute
   * (the names differ, or they clash on the path itself); a readdir of the directory does not.
   */
  lists?: string[];
  /** Waits until another actor releases the lock (a tryAcquire that failed): not enabled till then. */
  waits?: true;
  /** The actor holds its lock as it reaches this point. */
  holds?: true;
}

// Calls that only observe.
const OBSERVES = new Set(['access', 'exists', 'stat', 'lstat', 'fstat', 'readFile', 'read', 'readv', 'readlink', 'realpath', 'close']);
// Calls that make or remove a name in a directory, and so change its listing.
const NAMES = new Set(['rename', 'unlink', 'rm', 'mkdir', 'mkdtemp', 'rmdir', 'link', 'symlink', 'copyFile', 'writeFile', 'appendFile']);

/** Whether open's flags may create or change the file (anything but a plain read). */
function opensToChange(flags: unknown): boolean {
  if (flags === undefined || flags === null) return false;
  if (typeof flags === 'number') return (flags & 3) !== 0 || (flags & 0o100) !== 0 || (flags & 0o1000) !== 0;
  return String(flags) !== 'r' && String(flags) !== 'rs';
}

/** The point an fs call is; `shorten` names a path relative to the exploration's directory. */
export function pointOfCall(call: FsCall, shorten: (path: string) => string): Point {
  // Paths inside the exploration's directory are named relative to it, so that a point reads the
  // same from one exploration to the next, whatever temporary directory each got.
  const paths = call.paths.map((p) => (p.startsWith('fd ') ? p : shorten(resolve(p))));
  const op = call.form === 'sync' ? `${call.op}Sync` : call.op;
  const detail = paths.join(' → ');
  if (call.op === 'readdir') return { op, detail, reads: paths.map((p) => `${p}/`), writes: [] };
  const changes = call.op === 'open' ? opensToChange(call.args[1]) : !OBSERVES.has(call.op);
  if (!changes) return { op, detail, reads: paths, writes: [] };
  const names = NAMES.has(call.op) || call.op === 'open';
  return { op, detail, reads: [], writes: paths, ...(names ? { lists: paths.map((p) => `${dirname(p)}/`) } : {}) };
}

/** Whether the order of two points can matter: one changes what the other observes or changes. */
export function dependent(a: Point, b: Point): boolean {
  const all = (p: Point): string[] => [...p.reads, ...p.writes];
  if (all(a).includes('*') || all(b).includes('*')) return true;
  const clash = (writes: string[] | undefined, other: string[]): boolean => !!writes?.some((w) => other.includes(w));
  return clash(a.writes, all(b)) || clash(b.writes, a.reads) || clash(a.lists, b.reads) || clash(b.lists, a.reads);
}

export function describePoint(point: Point): string {
  return point.detail ? `${point.op} ${point.detail}` : point.op;
}

/** Where every actor waits before its first line, for the explorer to let the actors go one by one: no step of the schedule. */
export const START: Point = { op: '(start)', detail: '', reads: [], writes: [] };
