import { definedOnly } from '../support/defined.js';
import { ContendError } from '../errors.js';
import type { WorkloadConfig } from './config.js';
import type { WorkloadResult } from './run.js';

/** The 24 columns of fusio-manifest's performance framework, in its order, with its names. */
export const FUSIO_COLUMNS = [
  'config_label',
  'num_writers',
  'num_readers',
  'writer_rate',
  'reader_rate',
  'key_pool_size',
  'key_overlap_ratio',
  'max_retry_count',
  'duration_secs',
  'precondition_failure_rate',
  'write_tps',
  'read_tps',
  'write_p50_ms',
  'write_p95_ms',
  'write_p99_ms',
  'precond_p50_ms',
  'precond_p99_ms',
  'read_p50_ms',
  'read_p99_ms',
  'avg_retry_count',
  'total_retry_failures',
  'total_max_retries_exceeded',
  'retry_failure_rate',
  'retry_success_rate',
] as const;

/** contend's own columns, after those 24: the chaos scenario, counts, where it ran, and isolation. */
export const EXTRA_COLUMNS = [
  'scenario',
  'read_p95_ms',
  'total_write_attempts',
  'total_write_success',
  'total_precondition_failures',
  'total_write_errors',
  'total_reads',
  'total_read_errors',
  'think_ms',
  'conflict_scope',
  'cas',
  'storage',
  'client_kind',
  'lock',
  'write_strategy',
  'seed',
  'elapsed_secs',
  'isolation_ok',
  'isolation_violations',
] as const;

export const CSV_COLUMNS = [...FUSIO_COLUMNS, ...EXTRA_COLUMNS] as const;
export type CsvColumn = (typeof CSV_COLUMNS)[number];
export type CsvRow = Record<CsvColumn, string>;

const f2 = (n: number): string => n.toFixed(2);
const f4 = (n: number): string => n.toFixed(4);

export function csvRow(r: WorkloadResult): CsvRow {
  const { config: c, summary: s } = r;
  return {
    config_label: r.label,
    num_writers: String(c.writers),
    num_readers: String(c.readers),
    writer_rate: String(c.writerRate),
    reader_rate: String(c.readerRate),
    key_pool_size: String(c.keyPoolSize),
    key_overlap_ratio: String(c.keyOverlap),
    max_retry_count: String(c.maxRetries),
    duration_secs: String(c.duration),
    precondition_failure_rate: f4(s.preconditionFailureRate),
    write_tps: f2(s.writeTps),
    read_tps: f2(s.readTps),
    write_p50_ms: f2(s.writeP50Ms),
    write_p95_ms: f2(s.writeP95Ms),
    write_p99_ms: f2(s.writeP99Ms),
    precond_p50_ms: f2(s.precondP50Ms),
    precond_p99_ms: f2(s.precondP99Ms),
    read_p50_ms: f2(s.readP50Ms),
    read_p99_ms: f2(s.readP99Ms),
    avg_retry_count: f2(s.avgRetryCount),
    total_retry_failures: String(s.totalRetryFailures),
    total_max_retries_exceeded: String(s.totalMaxRetriesExceeded),
    retry_failure_rate: f4(s.retryFailureRate),
    retry_success_rate: f4(s.retrySuccessRate),
    scenario: r.scenario,
    read_p95_ms: f2(s.readP95Ms),
    total_write_attempts: String(s.totalWriteAttempts),
    total_write_success: String(s.totalWriteSuccess),
    total_precondition_failures: String(s.totalPreconditionFailures),
    total_write_errors: String(s.totalWriteErrors),
    total_reads: String(s.totalReads),
    total_read_errors: String(s.totalReadErrors),
    think_ms: String(c.thinkMs),
    conflict_scope: c.conflict,
    cas: c.cas,
    storage: c.storage,
    client_kind: c.kind,
    lock: c.lock,
    write_strategy: c.write,
    seed: String(c.seed),
    elapsed_secs: f2(s.durationSecs),
    isolation_ok: String(r.isolation.ok),
    isolation_violations: String(Object.values(r.isolation.counts).reduce((a, b) => a + (b ?? 0), 0)),
  };
}

const quote = (v: string): string => (/[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

export function toCsv(results: readonly WorkloadResult[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of results) {
    const row = csvRow(r);
    lines.push(CSV_COLUMNS.map((c) => quote(row[c])).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** Columns that hold numbers; every other one holds a word. */
export const NUMERIC_COLUMNS: ReadonlySet<string> = new Set<string>(
  CSV_COLUMNS.filter((c) => !['config_label', 'scenario', 'conflict_scope', 'cas', 'storage', 'client_kind', 'lock', 'write_strategy', 'isolation_ok'].includes(c)),
);

/** A CSV that is not a workload CSV: the message names the file's problem. */
export class CsvFormatError extends ContendError {
  constructor(message: string) {
    super('E_CSV_FORMAT', message);
  }
}

function splitRecords(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      if (record.some((v) => v !== '')) records.push(record);
      record = [];
      field = '';
    } else field += ch;
  }
  record.push(field);
  if (record.some((v) => v !== '')) records.push(record);
  return records;
}

/**
 * Reads a workload CSV: the 24 columns are required (a CSV fusio-manifest's own tool wrote reads
 * too); contend's extra columns are optional and default to empty.
 */
export function parseCsv(text: string, where = 'CSV'): CsvRow[] {
  const [header, ...records] = splitRecords(text);
  if (!header) throw new CsvFormatError(`${where} is empty; expected a header with ${FUSIO_COLUMNS.join(', ')}`);
  const missing = FUSIO_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length === FUSIO_COLUMNS.length) throw new CsvFormatError(`${where} is not a workload CSV: it has none of the workload columns (${FUSIO_COLUMNS.join(', ')})`);
  if (missing.length) throw new CsvFormatError(`${where} lacks the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; a workload CSV has all ${FUSIO_COLUMNS.length} workload columns`);
  return records.map((values, n) => {
    if (values.length !== header.length) throw new CsvFormatError(`${where} row ${n + 2} has ${values.length} fields, the header ${header.length}`);
    const row = Object.fromEntries(CSV_COLUMNS.map((c) => [c, ''])) as CsvRow;
    header.forEach((name, i) => {
      if (!(CSV_COLUMNS as readonly string[]).includes(name)) return;
      const value = values[i]!;
      // A number column that does not hold a number would be plotted as nothing, or run as NaN.
      if (value !== '' && NUMERIC_COLUMNS.has(name) && !Number.isFinite(Number(value))) {
        throw new CsvFormatError(`${where} row ${n + 2}, column ${name}: ${JSON.stringify(value)} is not a number`);
      }
      row[name as CsvColumn] = value;
    });
    return row;
  });
}

/** Refuses a CSV with a header and no rows where rows are needed (a plot of nothing). */
export function requireRows(rows: readonly CsvRow[], where = 'the CSV'): void {
  if (rows.length === 0) throw new CsvFormatError(`${where} has a header and no rows: there is nothing to plot`);
}

/** The workload fields a CSV row records, to run that config again (chaos from a sweep's best). */
export function configOfRow(row: CsvRow): Partial<WorkloadConfig> {
  const num = (c: CsvColumn): number | undefined => (row[c] === '' ? undefined : Number(row[c]));
  const text = <T extends string>(c: CsvColumn): T | undefined => (row[c] === '' ? undefined : (row[c] as T));
  const config: Partial<WorkloadConfig> = {
    writers: num('num_writers'),
    readers: num('num_readers'),
    writerRate: num('writer_rate'),
    readerRate: num('reader_rate'),
    keyPoolSize: num('key_pool_size'),
    keyOverlap: num('key_overlap_ratio'),
    maxRetries: num('max_retry_count'),
    duration: num('duration_secs'),
    thinkMs: num('think_ms'),
    conflict: text('conflict_scope'),
    cas: text('cas'),
    storage: text('storage'),
    kind: text('client_kind'),
    lock: text('lock'),
    write: text('write_strategy'),
    seed: num('seed'),
  };
  return definedOnly(config);
}
