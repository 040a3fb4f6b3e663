import * as hdr from 'hdr-histogram-js';
import { formatColumns } from '../lib/case/report.js';
import { runWorkload } from '../lib/workload/run.js';
import type { StorageKind } from '../lib/workload/config.js';
import type { OpRecord } from '../lib/workload/protocol.js';

const STORAGES: StorageKind[] = ['file', 'postgres', 'redis', 'etcd'];
const RATE = 100;
const SECONDS = 3;

/** p50 and p99 of each write operation from when it was due to its last attempt's end, ms. */
function correctedPercentiles(history: OpRecord[]): [number, number] {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  const ends = new Map<string, { due: number; end: number }>();
  for (const r of history) {
    if (r.f === 'read' || r.due === undefined) continue;
    const id = `${r.client}/${r.op}`;
    const seen = ends.get(id);
    if (!seen || r.end > seen.end) ends.set(id, { due: r.due, end: r.end });
  }
  for (const { due, end } of ends.values()) histogram.recordValue(Math.max(1, Math.round((end - due) * 1000)));
  return [histogram.getValueAtPercentile(50) / 1000, histogram.getValueAtPercentile(99) / 1000];
}

/**
 * `npm run bench -- storages`: the manifest on a file (flock around the compare-and-swap) beside
 * PostgreSQL, Redis and etcd (the server's own compare-and-set), 2 and 4 writers offering RATE
 * writes/s each for SECONDS s, conflicts per key (20 % overlap), no readers.
 */
export async function storageCosts(section: (title: string) => void): Promise<void> {
  section(`the manifest on each storage: ${RATE} writes/s offered per writer for ${SECONDS} s, conflicts per key, thread clients`);
  const rows: string[][] = [['storage', 'writers', 'commits/s', 'precondition failures', 'p50 ms', 'p99 ms', 'p50 ms corrected', 'p99 ms corrected', 'isolation']];
  for (const storage of STORAGES) {
    for (const writers of [2, 4]) {
      const r = await runWorkload({ storage, writers, writerRate: RATE, readers: 0, duration: SECONDS, conflict: 'key', keyOverlap: 0.2, maxRetries: 3, kind: 'thread' }, { history: true });
      const [p50, p99] = correctedPercentiles(r.history!);
      const s = r.summary;
      rows.push([storage, String(writers), s.writeTps.toFixed(0), `${(s.preconditionFailureRate * 100).toFixed(1)} %`, s.writeP50Ms.toFixed(2), s.writeP99Ms.toFixed(2), p50.toFixed(2), p99.toFixed(2), r.isolation.ok ? 'held' : 'VIOLATED']);
    }
  }
  process.stdout.write(formatColumns(rows) + '\n');
  process.stdout.write(
    '\np50/p99: each attempt, from its start (service time). corrected: each operation, from when it was due on its\n' +
      "client's Poisson clock to its last attempt's end — what a caller waits, counting the time a client that fell\n" +
      "behind had already lost (coordinated omission; HdrHistogram's expected-interval recording estimates the same\n" +
      'for a fixed rate, here the intended start of each arrival is known exactly).\n',
  );
}
