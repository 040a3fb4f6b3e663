import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { writerDocument, type WriterMeta } from '../writes/document.js';
import type { WorkerKind } from '../locks/types.js';
import { withActors } from './actors.js';

export interface ConcurrentResult {
  kind: WorkerKind;
  iterations: number;
  /** Share of iterations after which the file parsed as JSON (the number the MDV JSON write stress tests report). */
  validRate: number;
  /** Share after which it held exactly one writer's whole document. */
  wholeRate: number;
  /** Saves that failed with a file-system error (fixed-temp's lost temp file). */
  failedSaves: number;
  /** ms of each save that completed. */
  latencies: number[];
}

/** The concurrent_write scenario: `writers` save at once, `iterations` times; after each, is the file valid? */
export async function concurrentScenario(options: { kind: WorkerKind; write: string; writers?: number; iterations?: number; payloadItems?: number }): Promise<ConcurrentResult> {
  const writers = options.writers ?? 5;
  const iterations = options.iterations ?? 20;
  const payloadItems = options.payloadItems ?? 500;
  return withActors(options.kind, { workers: writers, write: options.write, payloadItems }, async ({ channels, file, request }) => {
    let valid = 0;
    let whole = 0;
    let failedSaves = 0;
    const latencies: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const replies = await Promise.all(channels.map((c) => request(c.worker, { op: 'write' })));
      for (const r of replies) {
        if (r.failed) failedSaves++;
        else latencies.push(r.ms);
      }
      const found = judge(file, payloadItems);
      if (found !== 'invalid') valid++;
      if (found === 'whole') whole++;
    }
    return { kind: options.kind, iterations, validRate: valid / iterations, wholeRate: whole / iterations, failedSaves, latencies };
  });
}

/**
 * `whole`: one writer's complete document; `valid`: parses, but is not one writer's document;
 * `invalid`: does not parse or is missing. Judged on the parsed value, not the bytes: a writer may
 * format the document its own way (conf indents with tabs), and is no less whole for it.
 */
export function judge(file: string, payloadItems: number): 'whole' | 'valid' | 'invalid' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return 'invalid';
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'invalid';
  }
  // The document says whose write it is; the writer's document for that write is rebuilt and compared.
  const meta = parsed as Partial<WriterMeta> | null;
  if (typeof meta?.worker !== 'number' || typeof meta.write !== 'number') return 'valid';
  const { worker, name, kind, pid, threadId, write } = meta as WriterMeta;
  return isDeepStrictEqual(parsed, writerDocument({ worker, name, kind, pid, threadId, write }, payloadItems)) ? 'whole' : 'valid';
}
