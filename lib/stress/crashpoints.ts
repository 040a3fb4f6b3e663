import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tempDirectory } from '../support/cleanup.js';
import { integerIn, onlyKnown, optionNames } from '../support/check.js';
import { ContendError } from '../errors.js';
import { startCrashWriter, writerFailure } from './crash-child.js';
import { fileState, makeDocument, type FileState } from '../writes/document.js';
import { checkSaved } from './durability.js';
import { resolveWriteStrategy } from '../writes/index.js';
import type { FsStep } from '../writes/trace.js';

export type { FileState } from '../writes/document.js';

export interface CrashPoint {
  /** The writer was killed just before this step (1-based); `null`: it ran to the end. */
  k: number | null;
  /** The step it did not get to take. */
  step: FsStep | null;
  state: FileState;
  /** Files other than the target left in the directory, temp names shown as `<tmp>`. */
  leftovers: string[];
}

export interface CrashTable {
  strategy: string;
  items: number;
  /** Every step of a complete save, in order. */
  steps: FsStep[];
  points: CrashPoint[];
}

export interface CrashPointOptions {
  strategy: string;
  /** Entries in the document saved over an older one (default 5000, as in the MDV JSON write stress tests). */
  items?: number;
  onPoint?: (point: CrashPoint, total: number) => void;
}

/**
 * For every k, runs the strategy in a child that SIGKILLs itself just before its k-th file-system
 * step, over a file holding an older version, and records what is left. The steps of a save do not
 * depend on timing, so the table is the same on every run.
 */
export async function crashPoints(options: CrashPointOptions): Promise<CrashTable> {
  onlyKnown('crash point option', options, optionNames<CrashPointOptions>({ strategy: true, items: true, onPoint: true }));
  const { adapter, ref } = resolveWriteStrategy(options.strategy);
  // 100,000 items make a 13 MB document saved in as many steps as it has writes; more only makes
  // a table of thousands of kills, and at a billion the document alone fills the memory.
  const items = integerIn('items', options.items ?? 5000, 1, 100_000);
  const oldData = makeDocument(items, 'old');
  const newData = makeDocument(items, 'new');

  const attempt = async (crashBefore?: number) => {
    const { dir, forget } = tempDirectory('contend-crash-');
    const path = join(dir, 'state.json');
    writeFileSync(path, oldData);
    try {
      const end = await startCrashWriter({ strategy: ref, path, data: newData, ...(crashBefore ? { crashBefore } : {}) }).ended;
      // Killed by itself, at its step: the kill a crash point asks for. A complete save must report.
      const selfKilled = crashBefore !== undefined && end.signal === 'SIGKILL' && !end.report;
      const failure = writerFailure(adapter.name, end, { killedByUs: selfKilled });
      if (failure) throw new ContendError('E_STRATEGY_FAILED', failure);
      if (!end.report && !selfKilled) throw new ContendError('E_STRATEGY_FAILED', `the ${adapter.name} writer ended without a report: ${end.how}`);
      return { report: end.report, signal: end.signal, state: fileState(path, oldData, newData), leftovers: leftovers(dir, path) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
      forget();
    }
  };

  const complete = await attempt();
  const steps = (complete.report?.steps ?? []).map((s) => ({ op: s.op, detail: relativise(s.detail) }));
  // A save that wrote nothing, or that the trace could not see, would give a table of no kills that
  // reads as safe: it is said plainly instead.
  checkSaved(adapter.name, complete.state, steps);
  const points: CrashPoint[] = [];
  const total = steps.length + 1;
  for (let k = 1; k <= steps.length; k++) {
    const run = await attempt(k);
    if (run.signal !== 'SIGKILL') {
      throw new ContendError('E_NONDETERMINISTIC', `${adapter.name} took fewer steps than before (${run.report?.steps.length} < ${k}): its steps depend on something other than the data`);
    }
    const point = { k, step: steps[k - 1]!, state: run.state, leftovers: run.leftovers };
    points.push(point);
    options.onPoint?.(point, total);
  }
  const last = { k: null, step: null, state: complete.state, leftovers: complete.leftovers };
  points.push(last);
  options.onPoint?.(last, total);
  return { strategy: adapter.name, items, steps, points };
}

function leftovers(dir: string, path: string): string[] {
  return readdirSync(dir)
    .filter((n) => n !== basename(path))
    .map((n) => tempName(n))
    .sort();
}

// Temp names carry a pid, a counter or a hash; the table shows `<tmp>` for them, so it is the
// same every run. Fixed names (the target, `.tmp`, `.bak`) are shown as they are.
function tempName(name: string): string {
  return /^\.?state\.json(\.(tmp|bak|backup|old))?$/.test(name) ? name : '<tmp>';
}

function relativise(detail: string): string {
  return detail.replace(/\S*contend-crash-[^/\s]+\/?(\S*)/g, (_m, rest: string) => (rest === '' ? '<dir>' : tempName(rest)));
}
