import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ContendError, InvalidOptionError } from '../errors.js';
import { tempDirectory } from '../support/cleanup.js';
import { pathWithin } from '../support/paths.js';
import { scratchBase } from '../support/scratch.js';
import { makeDocument, requireSaved, textState } from '../writes/document.js';
import { resolveWriteStrategy, writeRegistry, writeStrategyNames } from '../writes/index.js';
import type { ModuleRef } from '../modules/registry.js';
import { checkStates, defaultCheck, type JudgedState } from './judge.js';
import { crashStates, persistedWhole, type LogicalOp } from './model.js';
import { imageOf, recordIn, RecordingTimeout } from './record.js';
import { powerlossOpsRegistry, type CrashCheck } from './ops.js';
import type { RecordSubject } from './protocol.js';
import { integerIn, MAX_TIMER_MS, oneOf, onlyKnown, optionNames } from '../support/check.js';
import { WORKER_KINDS, type WorkerKind } from '../locks/types.js';

/** A writer by name, or a module of yours by `{ module, export }`. */
export type Named = string | ModuleRef;

export interface PowerlossOptions {
  /**
   * Write strategies by name (built in, or registered with registerWriteStrategy). Default: every
   * built-in one whose package is installed, unless `ops` are given.
   */
  strategies?: string[];
  /** Saves of your own (PowerlossOps), by module and export, or by name once registered. */
  ops?: Named[];
  /** Replaces the default check for every writer that has no check of its own. */
  check?: CrashCheck;
  /** Where each save runs while recorded: this thread (async, the default), a worker_thread, a child process. */
  kind?: WorkerKind;
  /**
   * Where the save's directory and the states written out for checking live. By default a
   * directory in /dev/shm (a tmpfs) where there is one: the model, not the file system under the
   * save, decides what a cut leaves; give a directory on the disk your code targets if your save
   * behaves differently there (O_DIRECT, say).
   */
  dir?: string;
  /**
   * How long recording one save may take, ms (default 30,000): the recorder's start, the module's
   * load, `setup` and the save. Past it the run ends with an error; a thread or process recorder is
   * ended, while an async save runs on in this process, which cannot stop it.
   */
  saveTimeoutMs?: number;
}

export interface PowerlossRow {
  /** The strategy's or the operations' name. */
  writer: string;
  subject: 'strategy' | 'ops';
  /** The writer says a returned save survives a power cut. */
  durable: boolean;
  operations: number;
  /** Distinct crash states, and the combinations tried to find them. */
  states: number;
  tried: number;
  /** Bad states by what the check called them (`torn`, `empty`, `missing`, `acknowledged save lost` by default); none judged when `unaccounted` is not empty. */
  bad: Record<string, number>;
  /** For each kind of bad state, the shortest way to it: the operations of the prefix, those lost marked. */
  shortest: Record<string, string>;
  /** Calls the recorder could not turn into operations. */
  unseen: string[];
  /**
   * Files in the save's directory that the recorded operations, all persisted, do not give as the
   * save left them (a save made by another program, a native call): its states prove nothing.
   */
  unaccounted: string[];
  /** Recording the save, ms. */
  recordMs: number;
  /** Recording, computing and checking its states, ms. */
  ms: number;
}

export interface PowerlossReport {
  rows: PowerlossRow[];
  /** A writer that claims durability has a bad state, or could not be judged. */
  failed: boolean;
  ms: number;
}

const OLD = makeDocument(80, 'old');
const NEW = makeDocument(120, 'new');

function describeOp(op: LogicalOp, dir: string): string {
  const short = (p: string): string => p.split(dir).join('<dir>');
  switch (op.op) {
    case 'create':
      return `create ${short(op.path)}`;
    case 'write':
      return `write ${op.data.length} B at ${op.offset} of #${op.inode}`;
    case 'truncate':
      return `truncate #${op.inode} to ${op.size}`;
    case 'rename':
    case 'link':
      return `${op.op} ${short(op.from)} → ${short(op.to)}`;
    case 'unlink':
    case 'mkdir':
      return `${op.op} ${short(op.path)}`;
    case 'fsync':
      return `fsync #${op.inode}`;
    case 'fsync-dir':
      return `fsync dir ${short(op.path)}`;
    default:
      return 'sync';
  }
}

/** The shortest road to a state: the prefix of operations, each one lost or kept in part marked. */
function road(j: JudgedState, ops: readonly LogicalOp[], dir: string): string {
  const steps = ops.slice(0, j.state.after).map((op, i) => {
    const partial = j.state.partial.find((p) => p.index === i);
    const mark = j.state.lost.includes(i) ? ' (lost)' : partial ? (partial.fate === 'zeros' ? ' (as zeros)' : ` (first ${partial.fate.blocks} B only)`) : '';
    return `${describeOp(op, dir)}${mark}`;
  });
  return `${steps.length ? steps.join('; ') : 'nothing'}; power cut${j.acknowledged ? ' after the save returned' : ''}`;
}

/** One writer to put through every power cut, resolved before any save runs. */
interface Writer {
  name: string;
  subject: RecordSubject;
  kind: PowerlossRow['subject'];
  durable: boolean;
  /** The file the default check judges, relative to the save's directory. */
  target?: string;
  check?: CrashCheck;
}

/** Every writer named, checked before the first save runs: a bad name is one error naming the allowed ones. */
async function writersOf(options: PowerlossOptions): Promise<Writer[]> {
  const { strategies, ops } = options;
  for (const [name, given] of [
    ['strategies', strategies],
    ['ops', ops],
  ] as const) {
    if (given !== undefined && (!Array.isArray(given) || given.length === 0)) {
      throw new InvalidOptionError(name, name === 'ops' ? 'a non-empty list of { module, export } or registered names' : `a non-empty list of ${writeStrategyNames().join(', ')}`, given);
    }
  }
  const names = strategies ?? (ops === undefined ? writeRegistry.installed() : []);
  const writers: Writer[] = names.map((name) => {
    const { adapter, ref } = resolveWriteStrategy(name);
    return { name: adapter.name, subject: { strategy: ref, target: 'state.json', data: NEW }, kind: 'strategy', durable: adapter.durable === true, target: 'state.json' };
  });
  for (const given of ops ?? []) {
    const { adapter, ref } = powerlossOpsRegistry.resolve(await powerlossOpsRegistry.named(given));
    writers.push({ name: adapter.name, subject: { ops: ref }, kind: 'ops', durable: adapter.durable === true, ...(adapter.target ? { target: adapter.target } : {}), ...(adapter.check ? { check: adapter.check } : {}) });
  }
  return writers;
}

const textOf = (path: string): string | undefined => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);

/** The files under `dir` whose bytes the recording, all persisted, does not give. */
function unaccounted(dir: string, expected: ReadonlyMap<string, Buffer>): string[] {
  const actual = imageOf(dir);
  const found = new Map([...actual.entries].map(([path, inode]) => [path, actual.contents.get(inode)!]));
  const paths = new Set([...found.keys(), ...[...expected.keys()].filter((path) => pathWithin(dir, path) !== undefined)]);
  const differs = (path: string): boolean => {
    const [f, e] = [found.get(path), expected.get(path)];
    return !f || !e || !f.equals(e);
  };
  return [...paths].filter(differs).map((p) => relative(dir, p)).sort();
}

/** Records one writer's save, computes every state a power cut can leave of it, and checks each. */
async function powerlossOf(writer: Writer, kind: WorkerKind, check: CrashCheck | undefined, base: string, saveTimeoutMs: number): Promise<PowerlossRow> {
  const started = performance.now();
  const { dir, forget: forgetDir } = tempDirectory('contend-powerloss-', base);
  const { dir: scratch, forget: forgetScratch } = tempDirectory('contend-powerloss-state-', base);
  const forget = [forgetDir, forgetScratch];
  // A save abandoned past its limit may still write into its directory: removed at exit then too.
  let abandoned = false;
  try {
    const subject = 'strategy' in writer.subject ? { ...writer.subject, target: join(dir, writer.subject.target) } : writer.subject;
    if ('strategy' in subject) writeFileSync(subject.target, OLD);
    const recording = await recordIn(kind, { subject, dir }, writer.name, saveTimeoutMs).catch((error: unknown) => {
      abandoned = error instanceof RecordingTimeout && error.abandoned;
      throw error;
    });
    const recordMs = performance.now() - started;
    const target = writer.target === undefined ? undefined : join(dir, writer.target);
    const before = target === undefined ? undefined : recording.initial.entries.has(target) ? recording.initial.contents.get(recording.initial.entries.get(target)!)!.toString('utf8') : undefined;
    const after = target === undefined ? undefined : textOf(target);
    // Every state of a save that never wrote its target looks sound: such a save is no evidence.
    if (writer.kind === 'strategy') requireSaved(writer.name, textState(after, OLD, NEW));
    else if (target !== undefined && before === undefined && after === undefined && !writer.check && !check) {
      throw new ContendError('E_NOT_SAVED', `${writer.name}'s target ${writer.target} is there neither before its save nor after it: the default check has nothing to judge (is the name right?)`);
    }
    const missed = unaccounted(dir, persistedWhole(recording.initial, recording.ops));
    const { states, tried } = crashStates(recording.initial, recording.ops);
    // States of a recording that missed part of the save would judge a save that never ran.
    const judged = missed.length ? [] : await checkStates(states, recording.ops.length, {
      from: dir,
      scratch,
      check: writer.check ?? check ?? defaultCheck,
      context: { ...(target === undefined ? {} : { target }), ...(before === undefined ? {} : { before }), ...(after === undefined ? {} : { after }) },
    });
    const bad: Record<string, number> = {};
    const shortest: Record<string, string> = {};
    for (const j of judged) {
      if (!j.bad) continue;
      bad[j.bad] = (bad[j.bad] ?? 0) + 1;
      // States come shortest prefix first, fewest losses first: the first met is the shortest road.
      shortest[j.bad] ??= road(j, recording.ops, dir);
    }
    return {
      writer: writer.name,
      subject: writer.kind,
      durable: writer.durable,
      operations: recording.ops.length,
      states: states.length,
      tried,
      bad,
      shortest,
      unseen: recording.unseen,
      unaccounted: missed,
      recordMs,
      ms: performance.now() - started,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
    if (!abandoned) for (const f of forget) f();
  }
}

/**
 * Records one save of each writer (for a strategy: an old document replaced by a new one, each
 * several 4 KiB blocks long), computes every state a power cut can leave (doc/powerloss.md) and
 * checks each, materialized in a directory of its own.
 */
export async function runPowerloss(options: PowerlossOptions = {}): Promise<PowerlossReport> {
  onlyKnown('powerloss option', options, optionNames<PowerlossOptions>({ strategies: true, ops: true, check: true, kind: true, dir: true, saveTimeoutMs: true }));
  const started = performance.now();
  const kind = oneOf('kind', WORKER_KINDS, options.kind ?? 'async');
  const saveTimeoutMs = integerIn('saveTimeoutMs', options.saveTimeoutMs ?? 30_000, 1, MAX_TIMER_MS);
  if (options.check !== undefined && typeof options.check !== 'function') throw new InvalidOptionError('check', 'a function (state) => true, or what is wrong', options.check);
  const base = scratchBase('dir', options.dir);
  const writers = await writersOf(options);
  const rows: PowerlossRow[] = [];
  for (const writer of writers) rows.push(await powerlossOf(writer, kind, options.check, base, saveTimeoutMs));
  return { rows, failed: rows.some((r) => r.durable && (Object.keys(r.bad).length > 0 || r.unaccounted.length > 0)), ms: performance.now() - started };
}
