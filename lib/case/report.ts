import { formatVector } from './outcome.js';
import type { MatrixRow } from './matrix.js';

/** Lays rows out in columns, the first row being the header. */
export function formatColumns(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export const MATRIX_HEADER = ['kind', 'lock', 'order', 'workers', 'expected', 'observed', 'verdict', 'ms'];

export function matrixRowCells(row: MatrixRow): string[] {
  const observed = row.error ?? (row.runs.length ? summariseRuns(row) : '-');
  return [
    row.options.kind,
    row.options.lock,
    row.options.order ?? 'force-write',
    String(row.expected.length || row.options.workers || 5),
    formatVector(row.expected),
    observed,
    row.verdict.toUpperCase(),
    row.ms.toFixed(1),
  ];
}

function summariseRuns(row: MatrixRow): string {
  const distinct = new Map<string, number>();
  for (const run of row.runs) {
    const key = formatVector(run);
    distinct.set(key, (distinct.get(key) ?? 0) + 1);
  }
  if (distinct.size === 1 && row.runs.length === 1) return [...distinct.keys()][0]!;
  return [...distinct.entries()].map(([v, n]) => `${v} ${n}/${row.runs.length}`).join('; ');
}

export function formatMatrix(rows: MatrixRow[]): string {
  return formatColumns([MATRIX_HEADER, ...rows.map(matrixRowCells)]);
}
