import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionError } from '../errors.js';
import { removeAtExit } from '../support/cleanup.js';
import { makeDocument } from '../writes/document.js';
import { resolveWriteStrategy, writeRegistry, writeStrategyNames } from '../writes/index.js';
import { judgeStates, type JudgedState } from './judge.js';
import { crashStates, type LogicalOp } from './model.js';
import { recordIn } from './record.js';
import { oneOf } from '../support/check.js';
import { WORKER_KINDS, type WorkerKind } from '../locks/types.js';

export interface PowerlossOptions {
  /** Write strategies by name (default: every built-in one whose package is installed). */
  strategies?: string[];
  /** Where each save runs while recorded: this thread (async, the default), a worker_thread, a child process. */
  kind?: WorkerKind;
}

type BadKind = NonNullable<JudgedState['bad']>;

export interface PowerlossRow {
  strategy: string;
  /** The strategy says a returned save survives a power cut. */
  durable: boolean;
  operations: number;
  /** Distinct crash states, and the combinations tried to find them. */
  states: number;
  tried: number;
  bad: Partial<Record<BadKind, number>>;
  /** For each kind of bad state, the shortest way to it: the operations of the prefix, those lost marked. */
  shortest: Partial<Record<BadKind, string>>;
  /** Calls the recorder could not turn into operations. */
  unseen: string[];
}

export interface PowerlossReport {
  rows: PowerlossRow[];
  /** A strategy that claims durability has a bad state. */
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

/**
 * Records one save of each strategy (an old document replaced by a new one, each several 4 KiB
 * blocks long), computes every state a power cut can leave (doc/powerloss.md) and judges each.
 */
export async function runPowerloss(options: PowerlossOptions = {}): Promise<PowerlossReport> {
  const started = performance.now();
  const names = options.strategies ?? writeRegistry.installed();
  if (!Array.isArray(names) || names.length === 0) throw new InvalidOptionError('strategies', `a non-empty list of ${writeStrategyNames().join(', ')}`, names);
  const kind = oneOf('kind', WORKER_KINDS, options.kind ?? 'async');
  // Every name checked before the first save runs.
  const strategies = names.map((name) => resolveWriteStrategy(name));
  const rows: PowerlossRow[] = [];
  for (const { adapter: strategy, ref } of strategies) {
    const dir = mkdtempSync(join(tmpdir(), 'contend-powerloss-'));
    const forget = removeAtExit(dir);
    try {
      const target = join(dir, 'state.json');
      writeFileSync(target, OLD);
      const recording = await recordIn(kind, { strategy: ref, dir, target, data: NEW });
      const { states, tried } = crashStates(recording.initial, recording.ops);
      const judged = judgeStates(states, recording.ops.length, target, OLD, NEW);
      const bad: Partial<Record<BadKind, number>> = {};
      const shortest: Partial<Record<BadKind, string>> = {};
      for (const j of judged) {
        if (!j.bad) continue;
        bad[j.bad] = (bad[j.bad] ?? 0) + 1;
        // States come shortest prefix first, fewest losses first: the first met is the shortest road.
        shortest[j.bad] ??= road(j, recording.ops, dir);
      }
      rows.push({ strategy: strategy.name, durable: strategy.durable === true, operations: recording.ops.length, states: states.length, tried, bad, shortest, unseen: recording.unseen });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      forget();
    }
  }
  return { rows, failed: rows.some((r) => r.durable && Object.keys(r.bad).length > 0), ms: performance.now() - started };
}
