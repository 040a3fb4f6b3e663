import { rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { tempDirectory } from '../support/cleanup.js';
import { onlyKnown } from '../support/check.js';
import { ContendError } from '../errors.js';
import { strategySave } from '../writes/failure.js';
import { fileState, makeDocument, requireSaved, type FileState } from '../writes/document.js';
import { writeRegistry } from '../writes/index.js';
import { seesSave, withStepHook, type FsStep } from '../writes/trace.js';

/** What one save does to make itself durable, read from the file-system calls it made. */
export interface Durability {
  strategy: string;
  steps: FsStep[];
  /** The save replaced the target by renaming a temp file over it. */
  renames: boolean;
  /** The new bytes were fsynced before the save relied on them: before the rename, or before returning when it writes in place. */
  fsyncsData: boolean;
  /** The directory was fsynced after the rename (or a global sync ran), so the rename itself survives a power loss. */
  fsyncsDirectory: boolean;
  /** The step that shows each answer, or why there is none. */
  evidence: { data: string; directory: string };
}

const FSYNCS = new Set(['fsync', 'fdatasync']);
const step = (s: FsStep, i: number): string => `step ${i + 1}: ${s.op} ${s.detail}`;

/**
 * Reads durability off a save's steps. Paths in the steps are those the save used: fds are shown
 * as the path they were opened with, which is what lets an fsync be tied to a file.
 */
export function analyzeDurability(strategy: string, steps: FsStep[], target: string): Durability {
  const renameAt = steps.findIndex((s) => s.op === 'rename' && s.detail.endsWith(` → ${target}`));
  const renames = renameAt >= 0;
  const temp = renames ? steps[renameAt]!.detail.slice(0, -` → ${target}`.length) : target;
  const isSync = (s: FsStep): boolean => s.op === 'sync';
  const dataAt = steps.findIndex((s, i) => (renames ? i < renameAt : true) && ((FSYNCS.has(s.op) && s.detail === temp) || (!renames && isSync(s))));
  const dirAt = renames ? steps.findIndex((s, i) => i > renameAt && ((FSYNCS.has(s.op) && s.detail === dirname(target)) || isSync(s))) : -1;
  const lateData = renames ? steps.findIndex((s, i) => i > renameAt && (isSync(s) || (FSYNCS.has(s.op) && s.detail === target))) : -1;
  return {
    strategy,
    steps,
    renames,
    fsyncsData: dataAt >= 0,
    fsyncsDirectory: dirAt >= 0,
    evidence: {
      data:
        dataAt >= 0
          ? step(steps[dataAt]!, dataAt)
          : renames
            ? `no fsync of ${temp} before the rename (${step(steps[renameAt]!, renameAt)})${lateData >= 0 ? `; flushed only after it, ${step(steps[lateData]!, lateData)}` : ''}`
            : `no fsync of ${target}`,
      directory: dirAt >= 0 ? step(steps[dirAt]!, dirAt) : renames ? `no fsync of ${dirname(target)} after the rename` : 'no rename to make durable',
    },
  };
}

/**
 * Saves a document with the strategy over an existing target, in a temp directory, recording every
 * file-system step through the traced fs (the calls the strategy makes through `fs`), and reads
 * its durability off them.
 */
export async function traceDurability(strategyName: string, options: { items?: number } = {}): Promise<Durability> {
  onlyKnown('durability option', options, ['items']);
  const strategy = await writeRegistry.load(writeRegistry.resolve(strategyName).ref);
  const { dir, forget } = tempDirectory('contend-durability-');
  try {
    const target = join(dir, 'state.json');
    const old = makeDocument(options.items ?? 100, 'old');
    await writeFile(target, old);
    const steps: FsStep[] = [];
    const data = makeDocument(options.items ?? 100, 'new');
    await strategySave(strategyName, () => withStepHook((s) => void steps.push({ op: s.op, detail: s.detail.split(dir).join('<dir>') }), () => strategy.save(target, data)));
    checkSaved(strategyName, fileState(target, old, data), steps);
    return analyzeDurability(strategy.name, steps, '<dir>/state.json');
  } finally {
    await rm(dir, { recursive: true, force: true });
    forget();
  }
}

/**
 * A complete save must have put the new document in place, through steps the trace saw: a save
 * that wrote nothing is said plainly, and one the trace could not see (another process, a native
 * addon, fs functions captured before contend loaded) gives no evidence to judge by, which is no
 * "no fsync" and no "safe".
 */
export function checkSaved(strategy: string, state: FileState, steps: readonly FsStep[]): void {
  requireSaved(strategy, state);
  if (!seesSave(steps)) {
    throw new ContendError(
      'E_UNTRACED',
      `${strategy} saved without a write or rename the traced fs could see (another process, a native addon, or fs functions captured before contend loaded); what it does between its steps cannot be shown this way`,
    );
  }
}

