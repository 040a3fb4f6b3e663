import type { WorkerKind } from '../locks/types.js';
import type { Outcome } from '../case/outcome.js';
import { withActors } from './actors.js';

export interface RapidResult {
  kind: WorkerKind;
  writes: number;
  reads: number;
  /** Reads by the concurrent reader, by what they found (`overwritten`: a whole valid document). */
  found: Record<Outcome, number>;
  /** Share of reads that found a valid document. */
  validRate: number;
  failedSaves: number;
  latencies: number[];
}

/**
 * The rapid_succession scenario of the MDV JSON write stress tests, made able to fail: one worker saves `writes` times in a row while a
 * second reads as fast as it can, and every read is judged. (Those tests validated after each write in
 * the writer's own thread, which can never see a half-written file.)
 */
export async function rapidScenario(options: { kind: WorkerKind; write: string; writes?: number; payloadItems?: number }): Promise<RapidResult> {
  const writes = options.writes ?? 100;
  return withActors(options.kind, { workers: 2, write: options.write, payloadItems: options.payloadItems ?? 500 }, async ({ request }) => {
    const found: Record<Outcome, number> = { intact: 0, overwritten: 0, torn: 0, missing: 0 };
    const latencies: number[] = [];
    let failedSaves = 0;
    await request(1, { op: 'write' });
    let writing = true;
    const writer = (async () => {
      try {
        for (let i = 1; i < writes; i++) {
          const r = await request(1, { op: 'write' });
          if (r.failed) failedSaves++;
          else latencies.push(r.ms);
        }
      } finally {
        writing = false;
      }
    })();
    let reads = 0;
    while (writing) {
      const r = await request(2, { op: 'read' });
      found[r.read!.outcome]++;
      reads++;
    }
    await writer;
    return { kind: options.kind, writes, reads, found, validRate: reads ? found.overwritten / reads : 1, failedSaves, latencies };
  });
}
