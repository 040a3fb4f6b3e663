import { dirname } from 'node:path';

/**
 * One logical operation of a save, as a power cut sees it: its file resolved to an inode, its
 * bytes and offsets known. What the fs calls of a save become once recorded.
 */
export type LogicalOp =
  /** A new, empty file at `path` (open with O_CREAT of a missing name). */
  | { op: 'create'; path: string; inode: number }
  | { op: 'write'; inode: number; offset: number; data: Buffer }
  /** Also what open with O_TRUNC of an existing file does (size 0). */
  | { op: 'truncate'; inode: number; size: number }
  | { op: 'rename'; from: string; to: string }
  | { op: 'link'; from: string; to: string }
  | { op: 'unlink'; path: string }
  | { op: 'mkdir'; path: string }
  /** fsync or fdatasync of a file: its earlier writes and truncates are durable after it. */
  | { op: 'fsync'; inode: number }
  /** fsync of a directory: its earlier creates, renames, links and unlinks are durable after it. */
  | { op: 'fsync-dir'; path: string }
  /** sync(2) of everything: every earlier operation is durable after it. */
  | { op: 'sync' };

/** What is on disk: names to inodes, inodes to contents, and the directories. */
export interface FsImage {
  entries: ReadonlyMap<string, number>;
  contents: ReadonlyMap<number, Buffer>;
  dirs: ReadonlySet<string>;
}

/** How a write that was not made durable may be found after the cut. */
export type WriteFate = 'lost' | 'whole' | 'zeros' | { blocks: number };

/** One state a power cut can leave, with how it came about. */
export interface CrashState {
  /** The cut came after this many operations (all of them: the save had returned). */
  after: number;
  /** What each file reachable by name holds, by path. */
  files: ReadonlyMap<string, Buffer>;
  /** The directories there. */
  dirs: ReadonlySet<string>;
  /** The operations of the prefix that did not persist (indices), and how the partial writes did. */
  lost: number[];
  partial: { index: number; fate: Exclude<WriteFate, 'lost' | 'whole'> }[];
}

export interface CrashOptions {
  /** The size of the pieces a write may persist in part, bytes (default 4096). */
  block?: number;
  /** The most combinations tried for one prefix; beyond, the prefix is reported as cut (default 100,000). */
  limit?: number;
}

export interface CrashStates {
  /** Distinct states (the same files before and after the save returned count as two), in the order first met: prefixes shortest first, then fewer losses first. */
  states: CrashState[];
  /** Combinations tried, before deduplication. */
  tried: number;
  /** Prefixes whose combinations went past the limit (their states are a sample: the first ones). */
  cut: number[];
}

const entryDir = (op: LogicalOp): string[] => {
  switch (op.op) {
    case 'create':
    case 'unlink':
    case 'mkdir':
      return [dirname(op.path)];
    case 'rename':
    case 'link':
      return [...new Set([dirname(op.from), dirname(op.to)])];
    default:
      return [];
  }
};

/**
 * Whether an operation of the prefix is durable at the cut: a write or truncate once its file was
 * fsynced after it, a name's change once every directory it touches was fsynced after it.
 */
function durable(prefix: readonly LogicalOp[], i: number): boolean {
  const op = prefix[i]!;
  const later = prefix.slice(i + 1);
  if (later.some((l) => l.op === 'sync')) return true;
  if (op.op === 'write' || op.op === 'truncate') return later.some((l) => l.op === 'fsync' && l.inode === op.inode);
  const dirs = entryDir(op);
  if (dirs.length) return dirs.every((d) => later.some((l) => l.op === 'fsync-dir' && l.path === d));
  return true;
}

/** The fates a not-yet-durable operation may meet. */
function fates(op: LogicalOp, block: number): WriteFate[] {
  if (op.op === 'fsync' || op.op === 'fsync-dir' || op.op === 'sync') return ['whole'];
  if (op.op !== 'write') return ['lost', 'whole'];
  // Pieces end on block boundaries of the file: a prefix of them persists (1 … n−1).
  const end = op.offset + op.data.length;
  const cuts: number[] = [];
  for (let b = Math.floor(op.offset / block) + 1; b * block < end; b++) cuts.push(b * block - op.offset);
  return ['lost', 'whole', ...cuts.map((bytes) => ({ blocks: bytes })), ...(op.data.length ? ['zeros' as const] : [])];
}

interface Image {
  entries: Map<string, number>;
  contents: Map<number, Buffer>;
  dirs: Set<string>;
}

const copyImage = (initial: FsImage): Image => ({ entries: new Map(initial.entries), contents: new Map(initial.contents), dirs: new Set(initial.dirs) });

/** What each file reachable by name holds. */
function filesOf(image: Image): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const [path, inode] of image.entries) files.set(path, image.contents.get(inode) ?? Buffer.alloc(0));
  return files;
}

/** The files once every operation has persisted whole: what the disk holds after the save, if the recording saw all of it. */
export function persistedWhole(initial: FsImage, ops: readonly LogicalOp[]): Map<string, Buffer> {
  const image = copyImage(initial);
  for (const op of ops) apply(image, op, 'whole');
  return filesOf(image);
}

function apply(image: Image, op: LogicalOp, fate: WriteFate): void {
  switch (op.op) {
    case 'create':
      image.entries.set(op.path, op.inode);
      image.contents.set(op.inode, Buffer.alloc(0));
      return;
    case 'write': {
      const old = image.contents.get(op.inode) ?? Buffer.alloc(0);
      const data = fate === 'zeros' ? Buffer.alloc(op.data.length) : typeof fate === 'object' ? op.data.subarray(0, fate.blocks) : op.data;
      const size = Math.max(old.length, op.offset + data.length);
      const next = Buffer.alloc(size);
      old.copy(next);
      data.copy(next, op.offset);
      image.contents.set(op.inode, next);
      return;
    }
    case 'truncate': {
      const old = image.contents.get(op.inode) ?? Buffer.alloc(0);
      const next = Buffer.alloc(op.size);
      old.copy(next, 0, 0, Math.min(op.size, old.length));
      image.contents.set(op.inode, next);
      return;
    }
    case 'rename': {
      const inode = image.entries.get(op.from);
      // A rename whose source never persisted finds nothing to move: nothing changes.
      if (inode === undefined) return;
      image.entries.delete(op.from);
      image.entries.set(op.to, inode);
      return;
    }
    case 'link': {
      const inode = image.entries.get(op.from);
      if (inode !== undefined) image.entries.set(op.to, inode);
      return;
    }
    case 'unlink':
      image.entries.delete(op.path);
      return;
    case 'mkdir':
      image.dirs.add(op.path);
      return;
    default:
  }
}

function key(files: ReadonlyMap<string, Buffer>, dirs: ReadonlySet<string>): string {
  const entries = [...files].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, c]) => `${p}\0${c.toString('base64')}`);
  return [...entries, `dirs\0${[...dirs].sort().join('\0')}`].join('\n');
}

/**
 * Every state a power cut may leave while `ops` run from `initial`, as ALICE's default model has
 * it (doc/powerloss.md): a cut after any prefix; of the prefix, what an fsync made durable is there,
 * and everything else may be lost or have persisted (in any combination, so later operations may
 * persist while earlier ones did not); a write not made durable may also persist as its first
 * blocks only, or as zeros. States are deduplicated by what the files reachable by name hold, and
 * whether the save had returned.
 */
export function crashStates(initial: FsImage, ops: readonly LogicalOp[], options: CrashOptions = {}): CrashStates {
  const block = options.block ?? 4096;
  const limit = options.limit ?? 100_000;
  const seen = new Set<string>();
  const states: CrashState[] = [];
  const cut: number[] = [];
  let tried = 0;
  for (let after = 0; after <= ops.length; after++) {
    const prefix = ops.slice(0, after);
    const choices = prefix.map((op, i) => (durable(prefix, i) ? (['whole'] as WriteFate[]) : fates(op, block)));
    // Fewer losses first: the combinations are walked from "everything persisted" outwards.
    const combos: WriteFate[][] = [];
    const walk = (i: number, picked: WriteFate[]): boolean => {
      if (combos.length >= limit) return false;
      if (i === choices.length) {
        combos.push(picked);
        return true;
      }
      for (const fate of [...choices[i]!].sort((a, b) => rank(a) - rank(b))) if (!walk(i + 1, [...picked, fate])) return false;
      return true;
    };
    if (!walk(0, [])) cut.push(after);
    combos.sort((a, b) => losses(a) - losses(b));
    for (const combo of combos) {
      tried++;
      const image = copyImage(initial);
      combo.forEach((fate, i) => fate !== 'lost' && apply(image, prefix[i]!, fate));
      const files = filesOf(image);
      // A state after the save returned is told apart from the same files met earlier: there,
      // the new document must be found.
      const k = `${after === ops.length ? 'returned' : 'running'}\n${key(files, image.dirs)}`;
      if (seen.has(k)) continue;
      seen.add(k);
      states.push({
        after,
        files,
        dirs: image.dirs,
        lost: combo.flatMap((f, i) => (f === 'lost' ? [i] : [])),
        partial: combo.flatMap((f, i) => (f === 'zeros' || typeof f === 'object' ? [{ index: i, fate: f }] : [])),
      });
    }
  }
  return { states, tried, cut };
}

const rank = (fate: WriteFate): number => (fate === 'whole' ? 0 : fate === 'lost' ? 2 : 1);
const losses = (combo: WriteFate[]): number => combo.reduce((n, f) => n + rank(f), 0);
