import { basename, join } from 'node:path';
import { resolveLock } from '../locks/registry.js';
import { onlyKnown, optionNames } from '../support/check.js';
import { withCpuLoad } from '../support/load.js';
import { withWorkspace } from '../support/workspace.js';
import { resolveWriteStrategy } from '../writes/index.js';
import { chaosLabel, outageWindows } from './chaos.js';
import type { ClientSpec, OpRecord } from './protocol.js';
import type { Server } from '../servers/start.js';
import { configLabel, resolveWorkload, writerKeys, type WorkloadConfig } from './config.js';
import { runFleet } from './fleet.js';
import { verifyIsolation, type IsolationReport } from './isolation.js';
import { createManifest, memoryManifestBytes, openStorage, readManifest, type StorageSpec } from './manifest.js';
import { summarize, type MetricsSummary } from './metrics.js';
import { progressSpec } from './progress.js';

export interface WorkloadResult {
  config: WorkloadConfig;
  /** The config label, as fusio-manifest's performance framework writes it, e.g. W2_WR50.00_O0.2_RD4_RT100. */
  label: string;
  /** The chaos scenario's name, or `baseline`. */
  scenario: string;
  summary: MetricsSummary;
  isolation: IsolationReport;
  /** The full history, when asked for with `history: true`. */
  history?: OpRecord[];
}

export interface WorkloadRunOptions {
  /** Name under which the run appears in tables and the CSV (default: from its chaos). */
  scenario?: string;
  /** Keep every operation in the result (large). */
  history?: boolean;
}

/**
 * One workload run: a fresh empty manifest, the writer and reader fleet on their threads or
 * processes for the configured duration, then metrics and the isolation check from the history.
 * The temp directory, threads and processes are gone when it returns or throws.
 */
export async function runWorkload(given: Partial<WorkloadConfig> = {}, options: WorkloadRunOptions = {}): Promise<WorkloadResult> {
  onlyKnown('workload run option', options, optionNames<WorkloadRunOptions>({ scenario: true, history: true }));
  const config = resolveWorkload(given);
  const durationMs = config.duration * 1000;
  const outages = outageWindows(config.chaos, durationMs, config.seed);
  return withWorkspace('contend-workload-', async ({ dir }) => {
    const path = join(dir, 'manifest.json');
    const common = { cas: config.cas, conflict: config.conflict };
    let storage: StorageSpec;
    // On a server, an outage is the server paused (SIGSTOP) for its window: every call in flight
    // or made meanwhile waits for it, as it would for a stalled host. Elsewhere clients wait.
    let pausedServer: Server | undefined;
    if (config.storage === 'file') {
      await createManifest(path, config.valueSize);
      storage = { type: 'file', path, lock: resolveLock(config.lock).ref, lockOptions: {}, write: resolveWriteStrategy(config.write).ref, valueSize: config.valueSize, ...common };
    } else if (config.storage === 'memory') {
      storage = { type: 'memory', buffer: new SharedArrayBuffer(memoryManifestBytes(config.keyPoolSize)), keys: config.keyPoolSize, ...common };
    } else {
      const [{ sharedServer, startServer }, { createServerManifest }] = await Promise.all([import('../servers/index.js'), import('./server-storage.js')]);
      const neededBy = `the ${config.storage} storage`;
      // A run with outages pauses a server of its own: pausing the run-wide one would stall every
      // other run and lock on it, and one run's resume would end another's outage early.
      if (outages.length) pausedServer = await startServer(config.storage, neededBy);
      const url = pausedServer ? pausedServer.address.url : (await sharedServer(config.storage, neededBy)).url;
      // The manifest's name is the run's own, so runs on one server never share a manifest.
      storage = { type: 'server', server: config.storage, url, name: `contend-${basename(dir)}`, valueSize: config.valueSize, ...common };
      await createServerManifest(storage).catch(async (error: unknown) => {
        await pausedServer?.stop();
        throw error;
      });
    }
    const shared = new SharedArrayBuffer(64);
    const client = (role: ClientSpec['role'], i: number): ClientSpec => ({
      role,
      name: `${role === 'writer' ? 'w' : 'r'}${i + 1}`,
      worker: role === 'writer' ? i + 1 : config.writers + i + 1,
      kind: config.kind,
      rate: role === 'writer' ? config.writerRate : config.readerRate,
      durationMs,
      keys: role === 'writer' ? writerKeys(config.keyPoolSize, config.writers, config.keyOverlap, i) : [],
      maxRetries: config.maxRetries,
      deleteRatio: config.deleteRatio,
      thinkMs: config.thinkMs,
      seed: config.seed,
      latencyMs: config.chaos.latencyMs,
      outages: pausedServer ? [] : outages,
      storage,
      ...(config.kind === 'thread' ? { shared } : {}),
      progress: progressSpec(config.kind, join(dir, `progress-${role}-${i + 1}`)),
    });
    const specs = [
      ...Array.from({ length: config.writers }, (_, i) => client('writer', i)),
      ...Array.from({ length: config.readers }, (_, i) => client('reader', i)),
    ];
    const pauses = pausedServer ? serverOutages(pausedServer, outages) : undefined;
    try {
      const fleet = await withCpuLoad(config.chaos.cpuThreads, () => runFleet(specs, { durationMs, ...(pauses ? { onGo: pauses.start } : {}) }), config.chaos.cpuDuty).finally(() => pauses?.end());
      const final = storage.type === 'file' ? await readManifest(path) : await finalOf(storage);
      return {
        config,
        label: configLabel(config),
        scenario: options.scenario ?? chaosLabel(config.chaos),
        summary: summarize(fleet.records, fleet.elapsedMs),
        isolation: verifyIsolation(fleet.records, final),
        ...(options.history ? { history: fleet.records } : {}),
      };
    } finally {
      await pausedServer?.stop();
    }
  });
}

/** The server paused for each window, counted from the clients' start; `end` resumes it whatever happened. */
function serverOutages(server: Server, windows: [number, number][]): { start(): void; end(): void } {
  const timers: NodeJS.Timeout[] = [];
  return {
    start() {
      for (const [from, to] of windows) timers.push(setTimeout(() => server.process.pause(), from), setTimeout(() => server.process.resume(), to));
    },
    end() {
      for (const timer of timers) clearTimeout(timer);
      server.process.resume();
    },
  };
}

async function finalOf(spec: StorageSpec) {
  const storage = await openStorage(spec, { worker: 0, kind: 'thread', shared: new Int32Array(4), local: (_k, make) => make(), signal: new AbortController().signal });
  try {
    return await storage.read();
  } finally {
    await storage.close();
  }
}
