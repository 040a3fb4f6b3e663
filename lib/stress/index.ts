import { msPercentiles } from '../support/latency.js';
import { validateSeed } from '../../schedules/generate.js';
import { integerIn, onlyKnown, optionNames, someOf } from '../support/check.js';
import { WORKER_KINDS, type WorkerKind } from '../locks/types.js';
import { formatColumns } from '../case/report.js';
import { writeRegistry, writeStrategyNames } from '../writes/index.js';
import { constrainedScenario } from './constrained.js';
import { concurrentScenario, type ConcurrentResult } from './concurrent.js';
import { interruptedScenario, type InterruptedResult } from './interrupted.js';
import { rapidScenario, type RapidResult } from './rapid.js';

export const SCENARIOS = ['interrupted', 'concurrent', 'rapid', 'constrained'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface StressOptions {
  strategies?: string[];
  scenarios?: Scenario[];
  /** interrupted: kills per strategy (default 10); concurrent and constrained: iterations (default 20). */
  trials?: number;
  /** Worker kinds of the concurrent scenario (default all three). */
  kinds?: WorkerKind[];
  seed?: number;
  onProgress?: (message: string) => void;
}

export interface Latency {
  p50: number;
  p99: number;
  count: number;
}

export interface StrategyStress {
  strategy: string;
  interrupted?: InterruptedResult;
  concurrent?: ConcurrentResult[];
  rapid?: RapidResult;
  constrained?: ConcurrentResult;
  /** ms per save across the scenarios that timed saves. */
  latency?: Latency;
}

/** The stress table, one column per strategy; then the details behind each number. */
export interface StressReport {
  table: {
    interrupted_write?: Record<string, Record<string, number>>;
    concurrent_write?: Record<string, number>;
    rapid_succession?: Record<string, number>;
    resource_constrained?: Record<string, number>;
  };
  strategies: StrategyStress[];
}

/**
 * The four stress scenarios for every strategy. concurrent_write and resource_constrained are
 * the share of iterations after which the file was valid JSON (process writers for the headline;
 * every kind in the details); rapid_succession the share of a concurrent reader's reads that found
 * a valid document; interrupted_write the count of each result over the trials.
 */
export async function runStress(options: StressOptions = {}): Promise<StressReport> {
  onlyKnown('stress option', options, optionNames<StressOptions>({ strategies: true, scenarios: true, trials: true, kinds: true, seed: true, onProgress: true }));
  // By default every strategy that can run here: those of the optional peers that are installed.
  const strategies = options.strategies === undefined ? writeRegistry.installed() : someOf('strategies', writeStrategyNames(), options.strategies);
  for (const name of strategies) writeRegistry.resolve(name);
  const scenarios = someOf('scenarios', SCENARIOS, options.scenarios);
  const kinds = someOf('kinds', WORKER_KINDS, options.kinds);
  const trials = options.trials === undefined ? undefined : integerIn('trials', options.trials, 1, 10_000);
  if (options.seed !== undefined) validateSeed(options.seed);
  const say = options.onProgress ?? (() => {});
  const report: StressReport = { table: {}, strategies: [] };
  for (const write of strategies) {
    const entry: StrategyStress = { strategy: write };
    const latencies: number[] = [];
    if (scenarios.includes('interrupted')) {
      say(`${write}: interrupted`);
      entry.interrupted = await interruptedScenario({ write, ...(trials ? { trials } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}) });
      (report.table.interrupted_write ??= {})[write] = { ...entry.interrupted.counts };
    }
    if (scenarios.includes('concurrent')) {
      entry.concurrent = [];
      for (const kind of kinds) {
        say(`${write}: concurrent, ${kind} writers`);
        const result = await concurrentScenario({ kind, write, ...(trials ? { iterations: trials } : {}) });
        entry.concurrent.push(result);
        latencies.push(...result.latencies);
      }
      const headline = entry.concurrent.find((c) => c.kind === 'process') ?? entry.concurrent[0]!;
      (report.table.concurrent_write ??= {})[write] = round(headline.validRate);
    }
    if (scenarios.includes('rapid')) {
      say(`${write}: rapid`);
      entry.rapid = await rapidScenario({ kind: 'process', write });
      latencies.push(...entry.rapid.latencies);
      (report.table.rapid_succession ??= {})[write] = round(entry.rapid.validRate);
    }
    if (scenarios.includes('constrained')) {
      say(`${write}: constrained`);
      entry.constrained = await constrainedScenario({ write, ...(trials ? { iterations: trials } : {}) });
      latencies.push(...entry.constrained.latencies);
      (report.table.resource_constrained ??= {})[write] = round(entry.constrained.validRate);
    }
    if (latencies.length) entry.latency = percentiles(latencies);
    report.strategies.push(entry);
  }
  return report;
}

export function percentiles(ms: number[]): Latency {
  const [p50, p99] = msPercentiles(ms, [50, 99]) as [number, number];
  return { p50, p99, count: ms.length };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

/** The JSON stress table, then one line per strategy with counts, rates and save latency. */
export function formatStress(report: StressReport): string {
  const rows: string[][] = [['strategy', 'interrupted (valid/invalid/none)', 'concurrent valid (whole)', 'rapid reads valid (torn, missing)', 'constrained valid', 'save p50/p99 ms']];
  for (const s of report.strategies) {
    const c = s.concurrent?.map((r) => `${r.kind} ${round(r.validRate)} (${round(r.wholeRate)})${r.failedSaves ? ` ${r.failedSaves} failed saves` : ''}`).join(', ');
    rows.push([
      s.strategy,
      s.interrupted ? `${s.interrupted.counts.VALID_JSON}/${s.interrupted.counts.INVALID_JSON}/${s.interrupted.counts.FILE_NOT_CREATED}` : '-',
      c ?? '-',
      s.rapid ? `${round(s.rapid.validRate)} of ${s.rapid.reads} (${s.rapid.found.torn}, ${s.rapid.found.missing})` : '-',
      s.constrained ? `${round(s.constrained.validRate)}${s.constrained.failedSaves ? ` (${s.constrained.failedSaves} failed saves)` : ''}` : '-',
      s.latency ? `${s.latency.p50.toFixed(2)} / ${s.latency.p99.toFixed(2)}` : '-',
    ]);
  }
  return `${JSON.stringify(report.table, null, 2)}\n\n${formatColumns(rows)}`;
}

export { concurrentScenario, constrainedScenario, interruptedScenario, rapidScenario };
export type { ConcurrentResult, InterruptedResult, RapidResult };
