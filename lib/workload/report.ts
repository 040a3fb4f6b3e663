import { formatColumns } from '../case/report.js';
import { formatIsolation } from './isolation.js';
import type { WorkloadResult } from './run.js';
import type { ChaosReport, SweepReport } from './sweep.js';

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const ms = (x: number): string => x.toFixed(1);

const HEADER = ['config', 'scenario', 'fail', 'write/s', 'read/s', 'write p50/p99 ms', 'read p50/p99 ms', 'retries', 'retry ok', 'isolation'];

/** One result as a table row, and as the progress line of a long run. */
export function resultCells(r: WorkloadResult): string[] {
  const s = r.summary;
  const violations = Object.values(r.isolation.counts).reduce((a, b) => a + (b ?? 0), 0);
  return [
    r.label,
    r.scenario,
    pct(s.preconditionFailureRate),
    s.writeTps.toFixed(1),
    s.readTps.toFixed(1),
    `${ms(s.writeP50Ms)}/${ms(s.writeP99Ms)}`,
    `${ms(s.readP50Ms)}/${ms(s.readP99Ms)}`,
    s.avgRetryCount.toFixed(2),
    pct(s.retrySuccessRate),
    r.isolation.ok ? 'ok' : `VIOLATED (${violations})`,
  ];
}

export const progressLine = (r: WorkloadResult, done: number, total: number): string => `[${done}/${total}] ${resultCells(r).join('  ')}`;

function violated(results: readonly WorkloadResult[]): string[] {
  return results.filter((r) => !r.isolation.ok).map((r) => `${r.label} ${r.scenario}: ${formatIsolation(r.isolation)}`);
}

export function formatSweep(report: SweepReport): string {
  const rank = (title: string, rs: WorkloadResult[]): string[] => [title, ...rs.map((r, i) => `  ${i + 1}. ${r.label}: ${pct(r.summary.preconditionFailureRate)} failures, ${r.summary.writeTps.toFixed(1)} writes/s`)];
  const held = report.results.filter((r) => r.isolation.ok).length;
  return [
    formatColumns([HEADER, ...report.results.map(resultCells)]),
    '',
    ...rank('best (lowest precondition failure rate):', report.best),
    ...rank('worst:', report.worst),
    '',
    `isolation held in ${held} of ${report.results.length} configs`,
    ...violated(report.results),
  ].join('\n');
}

export function formatChaos(report: ChaosReport): string {
  const x = (v: number): string => (Number.isFinite(v) ? `×${v.toFixed(2)}` : '∞');
  return [
    formatColumns([HEADER, ...report.results.map(resultCells)]),
    '',
    'against the baseline:',
    formatColumns([
      ['scenario', 'fail (pp)', 'write/s', 'read/s', 'write p99', 'read p99', 'isolation'],
      ...report.degradation.map((d) => [
        d.scenario,
        `${d.failureRateDelta >= 0 ? '+' : ''}${d.failureRateDelta.toFixed(1)}`,
        x(d.writeTpsRatio),
        x(d.readTpsRatio),
        x(d.writeP99Ratio),
        x(d.readP99Ratio),
        d.isolationOk ? 'ok' : 'VIOLATED',
      ]),
    ]),
    ...violated(report.results),
  ].join('\n');
}

/** What --json prints: everything but the histories. */
export function resultJson(r: WorkloadResult): Omit<WorkloadResult, 'history'> {
  const { history: _history, ...rest } = r;
  return rest;
}
