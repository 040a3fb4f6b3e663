import { availableParallelism } from 'node:os';
import { MAX_WORKERS } from '../../schedules/generate.js';
import { integerIn, onlyKnown, optionNames } from '../support/check.js';
import { InvalidOptionError } from '../errors.js';
import { CHAOS_SCENARIOS, chaosScenario, type ChaosScenario } from './chaos.js';
import { resolveWorkload, type WorkloadConfig } from './config.js';
import { runWorkload, type WorkloadResult } from './run.js';

/** The axes of a sweep; every combination is one config. */
export interface SweepGrid {
  writers: number[];
  writerRates: number[];
  overlaps: number[];
  readers: number[];
  readerRates: number[];
}

/**
 * The 96-config shape of fusio-manifest's performance framework (3 × 4 × 4 × 1 × 2), its rates scaled from S3 round trips to a local
 * disk: writers here commit in a few ms, not 1.5 s, so the rates are higher, and 5 s per config
 * stands for its 60 s.
 */
export const FULL_GRID: SweepGrid = {
  writers: [2, 3, 4],
  writerRates: [10, 25, 50, 100],
  overlaps: [0.1, 0.2, 0.3, 0.4],
  readers: [4],
  readerRates: [50, 100],
};
export const FULL_DURATION = 5;

/** Twelve configs spanning the same ranges, 2 s each: a baseline in well under a minute. */
export const QUICK_GRID: SweepGrid = {
  writers: [2, 4],
  writerRates: [10, 25, 100],
  overlaps: [0.1, 0.4],
  readers: [4],
  readerRates: [50],
};
export const QUICK_DURATION = 2;

/** Every config of the grid on top of `base`, all checked before the first one runs. */
export function sweepConfigs(grid: SweepGrid, base: Partial<WorkloadConfig> = {}): WorkloadConfig[] {
  const axes = optionNames<SweepGrid>({ writers: true, writerRates: true, overlaps: true, readers: true, readerRates: true });
  onlyKnown('sweep grid option', grid, axes);
  // Every axis, each a list: one left out would be a TypeError in the loops below.
  for (const axis of axes) {
    const values = grid[axis as keyof SweepGrid];
    if (!Array.isArray(values) || values.length === 0) throw new InvalidOptionError(`sweep ${axis}`, 'a non-empty list of numbers', values);
  }
  const configs: WorkloadConfig[] = [];
  for (const writers of grid.writers)
    for (const writerRate of grid.writerRates)
      for (const keyOverlap of grid.overlaps)
        for (const readers of grid.readers)
          for (const readerRate of grid.readerRates) configs.push(resolveWorkload({ ...base, writers, writerRate, keyOverlap, readers, readerRate }));
  return configs;
}

export interface BatchOptions {
  /** Configs run at once (default 2). They share the machine's cores, which the numbers then show. */
  parallel?: number;
  onResult?: (result: WorkloadResult, done: number, total: number) => void;
}

export function resolveParallel(parallel: unknown = 2): number {
  return integerIn('parallel', parallel, 1, 16);
}

/** Runs the jobs in batches of `parallel`, in order, and returns every result in job order. */
async function inBatches(jobs: (() => Promise<WorkloadResult>)[], options: BatchOptions): Promise<WorkloadResult[]> {
  const parallel = resolveParallel(options.parallel);
  const results: WorkloadResult[] = [];
  for (let i = 0; i < jobs.length; i += parallel) {
    // Every run of a failed batch is waited for, so none is still running when the error surfaces.
    const settled = await Promise.allSettled(jobs.slice(i, i + parallel).map((job) => job()));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    for (const r of settled.map((s) => (s as PromiseFulfilledResult<WorkloadResult>).value)) {
      results.push(r);
      options.onResult?.(r, results.length, jobs.length);
    }
  }
  return results;
}

export interface SweepReport {
  results: WorkloadResult[];
  /** Lowest precondition failure rate first, among configs whose isolation held. */
  best: WorkloadResult[];
  /** Highest first. */
  worst: WorkloadResult[];
}

export function rankResults(results: readonly WorkloadResult[], top = 5): Pick<SweepReport, 'best' | 'worst'> {
  const sorted = results.filter((r) => r.isolation.ok).sort((a, b) => a.summary.preconditionFailureRate - b.summary.preconditionFailureRate || b.summary.writeTps - a.summary.writeTps);
  return { best: sorted.slice(0, top), worst: sorted.slice(-top).reverse() };
}

/** Runs every config, isolation checked per config, in parallel batches. */
export async function runSweep(configs: readonly WorkloadConfig[], options: BatchOptions = {}): Promise<SweepReport> {
  if (!Array.isArray(configs) || configs.length === 0) throw new InvalidOptionError('sweep configs', 'a non-empty list of workload configs, as sweepConfigs(grid) gives', configs);
  sweepParallel(configs, options.parallel);
  const results = await inBatches(configs.map((c) => () => runWorkload(c, { scenario: 'baseline' })), options);
  return { results, ...rankResults(results) };
}

/** How many of these configs may run at once: thread clients of a batch share one pool of threads. */
export function sweepParallel(configs: readonly WorkloadConfig[], given: unknown): number {
  const parallel = resolveParallel(given);
  const widest = Math.max(0, ...configs.filter((c) => c.kind === 'thread').map((c) => c.writers + c.readers));
  if (widest * parallel > MAX_WORKERS) {
    throw new InvalidOptionError('parallel', `at most ${Math.floor(MAX_WORKERS / widest)} for configs of ${widest} thread clients (${MAX_WORKERS} threads in all)`, parallel);
  }
  return parallel;
}

/** How a chaos scenario compares with the baseline run of the same config. */
export interface Degradation {
  scenario: string;
  /** Change in precondition failure rate, in percentage points. */
  failureRateDelta: number;
  writeTpsRatio: number;
  readTpsRatio: number;
  writeP99Ratio: number;
  readP99Ratio: number;
  isolationOk: boolean;
}

export interface ChaosReport {
  results: WorkloadResult[];
  degradation: Degradation[];
}

export function degradation(baseline: WorkloadResult, results: readonly WorkloadResult[]): Degradation[] {
  const b = baseline.summary;
  const ratio = (x: number, y: number): number => (y > 0 ? x / y : x > 0 ? Infinity : 1);
  return results.map((r) => ({
    scenario: r.scenario,
    failureRateDelta: (r.summary.preconditionFailureRate - b.preconditionFailureRate) * 100,
    writeTpsRatio: ratio(r.summary.writeTps, b.writeTps),
    readTpsRatio: ratio(r.summary.readTps, b.readTps),
    writeP99Ratio: ratio(r.summary.writeP99Ms, b.writeP99Ms),
    readP99Ratio: ratio(r.summary.readP99Ms, b.readP99Ms),
    isolationOk: r.isolation.ok,
  }));
}

/**
 * Runs one config under each chaos scenario (baseline first, whether asked for or not, since
 * everything is measured against it) and reports the degradation. One at a time by default: a CPU
 * overload scenario would otherwise slow the others down too.
 */
export async function runChaos(base: Partial<WorkloadConfig>, scenarios: readonly string[] = CHAOS_SCENARIOS, options: BatchOptions = {}): Promise<ChaosReport> {
  for (const s of scenarios) if (!CHAOS_SCENARIOS.includes(s as ChaosScenario)) throw new InvalidOptionError('chaos scenario', CHAOS_SCENARIOS.join(', '), s);
  const config = resolveWorkload(base);
  const names = ['baseline', ...scenarios.filter((s) => s !== 'baseline')] as ChaosScenario[];
  const cores = availableParallelism();
  // Every scenario's config checked before the first runs (an outage on a server of the user's is refused).
  const configs = names.map((name) => resolveWorkload({ ...config, chaos: chaosScenario(name, config.duration, cores) }));
  const runs = configs.map((c, i) => () => runWorkload(c, { scenario: names[i]! }));
  // One at a time unless asked: each scenario measures what chaos does to the machine.
  const results = await inBatches(runs, { ...options, parallel: options.parallel ?? 1 });
  return { results, degradation: degradation(results[0]!, results) };
}
