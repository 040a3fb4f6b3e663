import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { tempDirectory } from '../support/cleanup.js';
import { ContendError } from '../errors.js';
import { startCrashWriter, writerFailure } from './crash-child.js';
import { makeDocument } from '../writes/document.js';
import { strategySave } from '../writes/failure.js';
import { loadWriteStrategy, resolveWriteStrategy } from '../writes/index.js';

export const INTERRUPT_RESULTS = ['VALID_JSON', 'INVALID_JSON', 'FILE_NOT_CREATED'] as const;
export type InterruptResult = (typeof INTERRUPT_RESULTS)[number];

export interface InterruptedResult {
  trials: number;
  counts: Record<InterruptResult, number>;
  /** How long one complete save took here, ms: kills fall at seeded moments within it. */
  saveMs: number;
}

/**
 * The interrupted_write scenario of the MDV JSON write stress tests: a child saving the large document (5,000 items) to a new file is
 * SIGKILLed mid-save, at a seeded moment of a save's measured duration; what is left is judged.
 */
export async function interruptedScenario(options: { write: string; trials?: number; items?: number; seed?: number }): Promise<InterruptedResult> {
  const { ref } = resolveWriteStrategy(options.write);
  const trials = options.trials ?? 10;
  const data = makeDocument(options.items ?? 5000, 'new');
  const rng = seedrandom(String(options.seed ?? 1));
  const counts: Record<InterruptResult, number> = { VALID_JSON: 0, INVALID_JSON: 0, FILE_NOT_CREATED: 0 };
  const { dir, forget } = tempDirectory('contend-interrupt-');
  try {
    const strategy = await loadWriteStrategy(ref);
    const started = performance.now();
    await strategySave(strategy.name, () => strategy.save(join(dir, 'calibration.json'), data));
    const saveMs = performance.now() - started;
    for (let trial = 0; trial < trials; trial++) {
      const path = join(dir, `state-${trial}.json`);
      const { kill, started: began, ended } = startCrashWriter({ strategy: ref, path, data, announce: true });
      try {
        await Promise.race([began, ended]);
        const delay = rng() * saveMs;
        await new Promise((resolve) => setTimeout(resolve, delay));
      } finally {
        await kill();
      }
      // A writer that ended on its own must have saved: otherwise every trial would count as
      // FILE_NOT_CREATED and the scenario would prove nothing.
      const failure = writerFailure(options.write, await ended, { killedByUs: true });
      if (failure) throw new ContendError('E_STRATEGY_FAILED', failure);
      counts[judgeFile(path)]++;
    }
    return { trials, counts, saveMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    forget();
  }
}

function judgeFile(path: string): InterruptResult {
  if (!existsSync(path)) return 'FILE_NOT_CREATED';
  try {
    JSON.parse(readFileSync(path, 'utf8'));
    return 'VALID_JSON';
  } catch {
    return 'INVALID_JSON';
  }
}
