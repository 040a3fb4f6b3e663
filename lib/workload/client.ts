import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import seedrandom from 'seedrandom';
import { TornManifestError, openStorage, snapshotDigest, type ManifestStorage, type Mutation } from './manifest.js';
import { openProgress, type ClientProgress } from './progress.js';
import type { ClientMessage, ClientSpec, OpRecord } from './protocol.js';




/** Runs the client's operations for its duration at its rate; the records are its history. */
export async function runClient(spec: ClientSpec, storage: ManifestStorage, progress: ClientProgress): Promise<OpRecord[]> {
  const rng = seedrandom(`${spec.seed}:${spec.name}`);
  const origin = performance.now();
  const now = (): number => performance.now() - origin;
  const records: OpRecord[] = [];
  const available = async (): Promise<void> => {
    if (spec.latencyMs > 0) await sleep(spec.latencyMs);
    for (const [from, to] of spec.outages) {
      const t = now();
      if (t >= from && t < to) await sleep(to - t);
    }
  };
  let due = 0;
  for (let op = 0; ; op++) {
    // Open loop: operations arrive on a seeded Poisson clock whatever the storage does; a client
    // that falls behind runs the late ones back to back.
    due += -Math.log(1 - rng()) * (1000 / spec.rate);
    if (due >= spec.durationMs || now() >= spec.durationMs) break;
    const wait = due - now();
    if (wait >= 1) await sleep(wait);
    if (spec.role === 'reader') await readOnce(op, due);
    else await writeOnce(op, due);
  }
  return records;

  async function readOnce(op: number, due: number): Promise<void> {
    progress.action = `read (op ${op})`;
    const start = now();
    try {
      await available();
      const s = await storage.read();
      records.push({ client: spec.name, op, due, attempt: 0, f: 'read', type: 'ok', version: s.version, digest: snapshotDigest(s.entries.values()), size: s.entries.size, ...(s.duplicates.length ? { duplicates: s.duplicates } : {}), start, end: now() });
    } catch (error) {
      if (!(error instanceof TornManifestError)) throw error;
      records.push({ client: spec.name, op, due, attempt: 0, f: 'read', type: 'error', error: error.message, start, end: now() });
    }
  }

  async function writeOnce(op: number, due: number): Promise<void> {
    const key = spec.keys[Math.floor(rng() * spec.keys.length)]!;
    const wantsDelete = rng() < spec.deleteRatio;
    const value = `w${spec.worker}-${op}`;
    for (let attempt = 0; attempt <= spec.maxRetries; attempt++) {
      const start = now();
      let mutation: Mutation = { op: 'put', key, value };
      progress.action = `write ${key} (op ${op}, attempt ${attempt})`;
      try {
        await available();
        const base = await storage.read();
        // The operation is computed from what was read: a delete of a key that is not there is a put.
        if (wantsDelete && base.entries.has(key)) mutation = { op: 'delete', key };
        progress.action = `${mutation.op} ${key} (op ${op}, attempt ${attempt})`;
        if (spec.thinkMs > 0) await sleep(spec.thinkMs);
        await available();
        const result = await storage.commit(base, mutation, spec.worker);
        const done = { client: spec.name, op, due, attempt, f: mutation.op, key, ...(mutation.op === 'put' ? { value } : {}), base: base.version, start, end: now() };
        if (result.ok) {
          records.push({ ...done, type: 'ok', version: result.version });
          return;
        }
        records.push({ ...done, type: 'fail', version: result.current });
      } catch (error) {
        if (!(error instanceof TornManifestError)) throw error;
        records.push({ client: spec.name, op, due, attempt, f: mutation.op, key, type: 'error', error: error.message, start, end: now() });
        return;
      }
    }
  }
}

export interface ClientPort {
  post(message: ClientMessage): void;
  /** Resolves on the fleet's `go`. */
  go: Promise<void>;
}

/** A client host's whole life: open the storage, report ready, run on `go`, report the history. */
export async function serveClient(spec: ClientSpec, port: ClientPort): Promise<void> {
  // One client per thread or process: the lock's per-thread objects are this client's own.
  const local = new Map<string, unknown>();
  port.post({ type: 'loaded' });
  const progress = openProgress(spec.progress);
  const closing = new AbortController();
  let storage: ManifestStorage | undefined;
  try {
    storage = await openStorage(spec.storage, {
      worker: spec.worker,
      kind: spec.kind,
      shared: new Int32Array(spec.shared ?? new SharedArrayBuffer(64)),
      signal: closing.signal,
      local<T>(key: string, make: () => T): T {
        if (!local.has(key)) local.set(key, make());
        return local.get(key) as T;
      },
    });
    port.post({ type: 'ready' });
    await port.go;
    const records = await runClient(spec, storage, progress);
    port.post({ type: 'done', records });
  } catch (error) {
    port.post({ type: 'failed', action: progress.action, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  } finally {
    closing.abort();
    await storage?.close().catch(() => {});
    progress.close();
  }
}
