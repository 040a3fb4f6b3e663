import { msPercentiles } from '../support/latency.js';
import type { OpRecord } from './protocol.js';

/** The MetricsSummary of fusio-manifest's performance framework: counts, rates and latency percentiles (ms) of one run. */
export interface MetricsSummary {
  durationSecs: number;
  totalWriteAttempts: number;
  totalWriteSuccess: number;
  totalPreconditionFailures: number;
  totalWriteErrors: number;
  /** Failed compare-and-swaps over all commit attempts. */
  preconditionFailureRate: number;
  writeTps: number;
  readTps: number;
  writeP50Ms: number;
  writeP95Ms: number;
  writeP99Ms: number;
  precondP50Ms: number;
  precondP99Ms: number;
  readP50Ms: number;
  readP95Ms: number;
  readP99Ms: number;
  /** Retries per finished write operation. */
  avgRetryCount: number;
  totalReads: number;
  totalReadErrors: number;
  /** Precondition failures of retries (not of first attempts). */
  totalRetryFailures: number;
  /** Write operations that ran out of retries. */
  totalMaxRetriesExceeded: number;
  /** Of all precondition failures, the share that were retries failing again. */
  retryFailureRate: number;
  /** Of the operations whose first attempt failed, the share that a retry saved. */
  retrySuccessRate: number;
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

/**
 * Metrics from the history. A write operation's latency runs from its first attempt's start to its
 * commit, retries included (what the caller waits); a precondition failure's latency is that
 * attempt's own.
 */
export function summarize(records: readonly OpRecord[], elapsedMs: number): MetricsSummary {
  const attempts = records.filter((r) => r.f !== 'read');
  const reads = records.filter((r) => r.f === 'read');
  const fails = attempts.filter((r) => r.type === 'fail');
  const operations = new Map<string, OpRecord[]>();
  for (const a of attempts) {
    const id = `${a.client}#${a.op}`;
    operations.set(id, [...(operations.get(id) ?? []), a]);
  }
  let succeeded = 0;
  let exhausted = 0;
  let firstFailed = 0;
  let saved = 0;
  let retries = 0;
  const writeLatency: number[] = [];
  for (const tries of operations.values()) {
    const last = tries[tries.length - 1]!;
    retries += tries.length - 1;
    if (tries[0]!.type === 'fail') firstFailed++;
    if (last.type === 'ok') {
      succeeded++;
      writeLatency.push(last.end - tries[0]!.start);
      if (tries.length > 1) saved++;
    } else if (last.type === 'fail') exhausted++;
  }
  const retryFailures = fails.filter((r) => r.attempt > 0).length;
  const okReads = reads.filter((r) => r.type === 'ok');
  const seconds = elapsedMs / 1000;
  const [writeP50Ms, writeP95Ms, writeP99Ms] = msPercentiles(writeLatency, [50, 95, 99]) as [number, number, number];
  const [precondP50Ms, precondP99Ms] = msPercentiles(fails.map((r) => r.end - r.start), [50, 99]) as [number, number];
  const [readP50Ms, readP95Ms, readP99Ms] = msPercentiles(okReads.map((r) => r.end - r.start), [50, 95, 99]) as [number, number, number];
  return {
    durationSecs: seconds,
    totalWriteAttempts: attempts.length,
    totalWriteSuccess: succeeded,
    totalPreconditionFailures: fails.length,
    totalWriteErrors: attempts.filter((r) => r.type === 'error').length,
    preconditionFailureRate: ratio(fails.length, attempts.length),
    writeTps: ratio(succeeded, seconds),
    readTps: ratio(okReads.length, seconds),
    writeP50Ms,
    writeP95Ms,
    writeP99Ms,
    precondP50Ms,
    precondP99Ms,
    readP50Ms,
    readP95Ms,
    readP99Ms,
    avgRetryCount: ratio(retries, operations.size),
    totalReads: okReads.length,
    totalReadErrors: reads.length - okReads.length,
    totalRetryFailures: retryFailures,
    totalMaxRetriesExceeded: exhausted,
    retryFailureRate: ratio(retryFailures, fails.length),
    retrySuccessRate: ratio(saved, firstFailed),
  };
}
