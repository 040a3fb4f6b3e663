import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Calibration {
  /** The period to use, seconds: the requested one, or ten times the worst read+write. */
  period: number;
  requested: number;
  worstMs: number;
}

/**
 * The calibration of the AppCache lock tests: time read+write round trips on a scratch file in the case's directory
 * and raise the period when the worst exceeds a tenth of it, so a tick is long enough for its work.
 */
export async function calibratePeriod(requested: number, dir: string, trials = 20): Promise<Calibration> {
  const file = join(dir, 'calibration.json');
  const content = JSON.stringify({ calibration: 'x'.repeat(256) });
  let worstMs = 0;
  for (let i = 0; i < trials; i++) {
    const started = performance.now();
    await writeFile(file, content);
    await readFile(file, 'utf8');
    worstMs = Math.max(worstMs, performance.now() - started);
  }
  await rm(file, { force: true });
  const period = worstMs > (requested * 1000) / 10 ? (worstMs * 10) / 1000 : requested;
  return { period, requested, worstMs };
}
