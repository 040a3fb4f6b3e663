import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import * as hdr from 'hdr-histogram-js';
import { exitOnSignals } from '../lib/support/cleanup.js';
import { withWorkspace } from '../lib/support/workspace.js';
import { closePools, prewarmProcesses } from '../lib/case/kinds/index.js';
import type { WorkerKind } from '../lib/locks/types.js';
import { matrixCases, runMatrix } from '../lib/case/matrix.js';
import { formatColumns } from '../lib/case/report.js';
import { runCase } from '../lib/case/run-case.js';
import { runFuzz } from '../lib/fuzz/harness.js';
import { percentiles } from '../lib/stress/index.js';
import { makeDocument } from '../lib/writes/document.js';
import { resolveWriteStrategy, writeStrategyNames } from '../lib/writes/index.js';
import { runWorkload } from '../lib/workload/run.js';
import { QUICK_GRID, runSweep, sweepConfigs } from '../lib/workload/sweep.js';
import { startup } from './startup.js';
import { exploreCosts, powerlossCosts } from './explore.js';
import { storageCosts } from './storages.js';
import { withServerUrl } from '../lib/locks/server-lock.js';
import { lockRegistry } from '../lib/locks/registry.js';
import { tiedToParent } from '../lib/hosts/launch.js';

/**
 * `npm run bench`: the costs users ask about, all measured in this one run on this machine. Figures
 * are for comparison with each other (ratios), not for assertions: the machine is shared.
 */

const HANDOVER_ROUNDS = 200;

const section = (title: string): void => {
  process.stdout.write(`\n## ${title}\n\n`);
};

async function matrixTimes(): Promise<void> {
  section('the 30-case matrix (5 workers, kind × lock × order)');
  const time = async (label: string, options: Parameters<typeof runMatrix>[0]) => {
    const started = performance.now();
    const rows = await runMatrix(options);
    const ms = performance.now() - started;
    const passed = rows.filter((r) => r.verdict === 'pass').length;
    return { label, ms, passed, total: rows.length };
  };
  // A first pass warms the thread pool and process hosts, as a test run's first file does.
  await runMatrix({ orders: ['force-write'], locks: ['none'] });
  const step = await time('step mode', {});
  const period = await time('period mode, 10 ms period', { mode: 'period', period: 0.01 });
  process.stdout.write(
    formatColumns([
      ['mode', 'cases passed', 'wall time s', 'vs step'],
      ...[step, period].map((r) => [r.label, `${r.passed}/${r.total}`, (r.ms / 1000).toFixed(2), `×${(r.ms / step.ms).toFixed(1)}`]),
      ['AppCache lock tests (Python, 2 s period)', '12 cases', '≈145', `×${(145_000 / step.ms).toFixed(0)}`],
    ]) + '\n',
  );
}

async function dispatchOverhead(): Promise<void> {
  section('per-action dispatch overhead in step mode (16 workers, no lock: 48 actions a case, median of 20)');
  const rows: string[][] = [['kind', 'µs per action', 'vs async', 'case wall ms (incl. start)']];
  let asyncUs = 0;
  for (const kind of ['async', 'thread', 'process'] as WorkerKind[]) {
    const perAction: number[] = [];
    const walls: number[] = [];
    for (let i = 0; i < 21; i++) {
      const r = await runCase({ kind, lock: 'none', workers: 16 });
      if (i === 0) continue;
      perAction.push((r.driveMs * 1000) / r.trace.length);
      walls.push(r.ms);
    }
    const us = median(perAction);
    if (kind === 'async') asyncUs = us;
    rows.push([kind, us.toFixed(1), `×${(us / asyncUs).toFixed(1)}`, median(walls).toFixed(1)]);
  }
  process.stdout.write(formatColumns(rows) + '\n');
}

interface Side {
  send(order: object): void;
  next(type: string): Promise<{ at?: string }>;
  end(): Promise<void>;
}

function side(kind: 'thread' | 'process', setup: object): Side {
  const entry = new URL('./handover-worker.js', import.meta.url);
  const inbox: { type: string; at?: string }[] = [];
  const waiters: (() => void)[] = [];
  const push = (m: { type: string; at?: string }): void => {
    inbox.push(m);
    waiters.splice(0).forEach((w) => w());
  };
  let send: (o: object) => void;
  let end: () => Promise<void>;
  if (kind === 'thread') {
    const w = new Worker(entry, { workerData: setup });
    w.on('message', push);
    send = (o) => w.postMessage(o);
    end = async () => void (await w.terminate());
  } else {
    // Tied to this process by the kernel's death signal, as every child contend starts.
    const [command, ...args] = tiedToParent([process.execPath, fileURLToPath(entry)]);
    const c = spawn(command!, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    c.on('message', push);
    // A SharedArrayBuffer cannot cross a process boundary; the child makes its own.
    const { shared: _shared, ...plain } = setup as { shared?: unknown };
    c.send(plain);
    send = (o) => c.send(o);
    end = () => new Promise((resolve) => (c.exitCode !== null ? resolve() : (c.once('exit', () => resolve()), c.kill('SIGKILL'))));
  }
  return {
    send,
    async next(type) {
      for (;;) {
        const at = inbox.findIndex((m) => m.type === type);
        if (at >= 0) return inbox.splice(at, 1)[0]!;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    end,
  };
}

async function handover(): Promise<void> {
  section(`lock hand-over latency: release by one contender → acquire() returns in the other (${HANDOVER_ROUNDS} rounds)`);
  const rows: string[][] = [['lock', 'between', 'p50 µs', 'p99 µs', 'max µs']];
  const pairs: [string, 'thread' | 'process'][] = [
    ['mutex', 'thread'],
    ['flock', 'thread'],
    ['flock', 'process'],
    ['lockfile', 'thread'],
    ['lockfile', 'process'],
    // The locks on a server, each on the run's throwaway server (doc/distributed.md).
    ['pg-advisory', 'process'],
    ['pg-advisory-xact', 'process'],
    ['redis-lease', 'process'],
    ['redlock', 'process'],
    ['etcd-lease', 'process'],
  ];
  for (const [lock, kind] of pairs) {
    const lockOptions = await withServerUrl(lockRegistry.resolve(lock).adapter, {});
    await withWorkspace('contend-bench-', async ({ dir }) => {
      const shared = new SharedArrayBuffer(64);
      const sides = [1, 2].map((worker) => side(kind, { lock, lockOptions, lockPath: join(dir, 'shared.lock'), worker, shared }));
      const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
      try {
        await Promise.all(sides.map((s) => s.next('ready')));
        let [holder, waiter] = sides as [Side, Side];
        holder.send({ type: 'hold' });
        await holder.next('held');
        for (let round = 0; round < HANDOVER_ROUNDS; round++) {
          waiter.send({ type: 'wait' });
          await waiter.next('waiting');
          holder.send({ type: 'release' });
          const released = await holder.next('released');
          const acquired = await waiter.next('acquired');
          histogram.recordValue(Math.max(1, Number(BigInt(acquired.at!) - BigInt(released.at!)) / 1000));
          [holder, waiter] = [waiter, holder];
        }
        holder.send({ type: 'release' });
        await holder.next('released');
        rows.push([lock, kind === 'thread' ? 'threads' : 'processes', ...[50, 99, 100].map((p) => String(histogram.getValueAtPercentile(p)))]);
      } finally {
        await Promise.all(sides.map((s) => s.end()));
      }
    });
  }
  process.stdout.write(formatColumns(rows) + '\n');
  // How long a dead holder keeps the others out: the audit's holder-killed scenario, whose time
  // is from the SIGKILL to another process's first successful attempt.
  process.stdout.write('\nafter the holder is SIGKILLed, another process gets the lock in:\n\n');
  const { runAudit, SERVER_LIBRARIES } = await import('../lib/audit/index.js');
  const report = await runAudit({ libraries: [{ name: 'flock', role: 'lock' }, { name: 'lockfile', role: 'lock', lockOptions: { staleMs: 2000, updateMs: 1000 } }, ...SERVER_LIBRARIES], properties: ['holder-killed'] });
  process.stdout.write(formatColumns([['lock', 'verdict', 'ms'], ...report.cells.map((c) => [c.library, c.verdict, String(c.ms ?? '-')])]) + '\n');
}

/**
 * The libuv trap: a lock wait that blocks a thread of the 4-thread pool stalls every fs call of
 * the process. Reads of a small file are timed while six waiters wait on a held lock: with
 * contend's flock (non-blocking attempts + inotify wake), and with fs-native-extensions' own
 * waitForLock, which blocks an OS thread of its own per waiter (not the pool's), cannot be
 * cancelled, and keeps the event loop alive until the lock comes.
 */
async function poolStall(): Promise<void> {
  section('file reads while 6 waiters wait on a held lock in the same process (p50 / max of 64 reads, ms)');
  const { openSync, closeSync, writeFileSync } = await import('node:fs');
  const { readFile } = await import('node:fs/promises');
  const fsx = await import('fs-native-extensions');
  const { FlockAdapter } = await import('../lib/locks/flock.js');
  const rows: string[][] = [['waiters', 'p50 ms', 'max ms', 'vs none (p50)']];
  await withWorkspace('contend-bench-', async ({ dir }) => {
    const probe = join(dir, 'probe.json');
    writeFileSync(probe, '{"probe":true}');
    const lockPath = join(dir, 'shared.lock');
    const timeReads = async (): Promise<number[]> =>
      Promise.all(
        Array.from({ length: 64 }, async () => {
          const t = performance.now();
          await readFile(probe);
          return performance.now() - t;
        }),
      );
    const baseline = await timeReads();
    const report = (label: string, times: number[]): void => {
      rows.push([label, median(times).toFixed(2), Math.max(...times).toFixed(2), `×${(median(times) / median(baseline)).toFixed(1)}`]);
    };
    report('none', baseline);
    // contend's flock: waiters never occupy the pool.
    const ctx = (worker: number) => ({
      worker,
      kind: 'async' as const,
      lockPath,
      shared: new Int32Array(new SharedArrayBuffer(64)),
      local: <T>(_k: string, make: () => T) => make(),
      signal: new AbortController().signal,
    });
    const [holder, ...waiters] = await Promise.all(Array.from({ length: 7 }, (_, i) => FlockAdapter.create(ctx(i + 1), { maxPollMs: 8 })));
    await holder!.acquire();
    const waiting = waiters.map(async (w) => {
      await w.acquire();
      await w.release();
    });
    // Measured once the waiters are in their steady state (inotify watch + backed-off polls).
    await new Promise((resolve) => setTimeout(resolve, 20));
    report('6 × contend flock', await timeReads());
    await holder!.release();
    await Promise.all(waiting);
    await Promise.all([holder, ...waiters].map((l) => l!.close?.()));
    // For contrast: fs-native-extensions' own blocking wait, an OS thread per waiter.
    const held = openSync(lockPath, 'a+');
    fsx.tryLock(held);
    const fds = Array.from({ length: 6 }, () => openSync(lockPath, 'a+'));
    const blocked = fds.map(async (fd) => {
      await fsx.waitForLock(fd);
      fsx.unlock(fd);
    });
    const letGo = setTimeout(() => fsx.unlock(held), 200);
    report('6 × waitForLock (own threads)', await timeReads());
    clearTimeout(letGo);
    fsx.unlock(held);
    await Promise.all(blocked);
    for (const fd of [held, ...fds]) closeSync(fd);
  });
  process.stdout.write(formatColumns(rows) + '\n');
}

/** What fsync, a directory fsync and a global sync cost on this disk: one save, small and large. */
async function saveCost(): Promise<void> {
  section('cost of one save per write strategy (p50 / p99 ms; ratio of p50 to truncate)');
  const sizes = [
    { label: 'small (~100 B)', data: JSON.stringify({ worker: 1, name: 'worker-1', write: 1 }), saves: 200 },
    { label: 'large (5,000 items, as in the MDV JSON write stress tests)', data: makeDocument(5000, 'bench'), saves: 40 },
  ];
  const rows: string[][] = [['strategy', ...sizes.flatMap((s) => [s.label, 'vs truncate'])]];
  const base: number[] = [];
  await withWorkspace('contend-bench-', async ({ dir }) => {
    for (const name of writeStrategyNames()) {
      const strategy = resolveWriteStrategy(name).adapter;
      const cells: string[] = [name];
      for (const [i, size] of sizes.entries()) {
        const path = join(dir, `${name}-${i}.json`);
        const times: number[] = [];
        for (let n = 0; n < size.saves; n++) {
          const t = performance.now();
          await strategy.save(path, size.data);
          times.push(performance.now() - t);
        }
        const { p50, p99 } = percentiles(times);
        if (name === 'truncate') base[i] = p50;
        cells.push(`${p50.toFixed(3)} / ${p99.toFixed(3)}`, `×${(p50 / base[i]!).toFixed(1)}`);
      }
      rows.push(cells);
    }
  });
  process.stdout.write(formatColumns(rows) + '\n');
}

/** The kill fuzz's pace for each safe pair: puts per second per child, kill waves per minute. */
async function fuzzPace(): Promise<void> {
  section('kill fuzz, 4 children, 3 waves per safe lock × write pair');
  const rows: string[][] = [['lock', 'write', 'puts/s per child', 'waves/min', 'violations']];
  for (const [lock, write] of [
    ['flock', 'atomic'],
    ['flock', 'atomic-dirsync'],
    ['flock', 'write-file-atomic'],
    ['lockfile', 'atomic'],
  ] as const) {
    const report = await runFuzz({ lock, write, waves: 3 });
    const ms = report.waves.reduce((a, w) => a + w.ms, 0);
    rows.push([lock, write, (report.puts / report.children / (ms / 1000)).toFixed(0), ((report.waves.length * 60_000) / ms).toFixed(0), String(report.violations.length)]);
  }
  process.stdout.write(formatColumns(rows) + '\n');
}

async function workloadCeiling(): Promise<void> {
  section('workload harness: 2 writers + 2 readers on 4 threads, each offered 10,000 ops/s for 3 s');
  const rows = [['storage', 'ops/s achieved', 'writes/s', 'reads/s', 'write p50/p99 ms', 'isolation']];
  const rates: Record<string, number> = {};
  for (const storage of ['memory', 'file'] as const) {
    const r = await runWorkload({ storage, writers: 2, readers: 2, writerRate: 10_000, readerRate: 10_000, duration: 3 });
    const s = r.summary;
    rates[storage] = (s.totalWriteAttempts + s.totalReads) / s.durationSecs;
    rows.push([storage, rates[storage]!.toFixed(0), (s.totalWriteAttempts / s.durationSecs).toFixed(0), s.readTps.toFixed(0), `${s.writeP50Ms.toFixed(2)}/${s.writeP99Ms.toFixed(2)}`, r.isolation.ok ? 'ok' : 'VIOLATED']);
  }
  process.stdout.write(formatColumns(rows) + '\n');
  process.stdout.write(`memory (zero-cost storage) is the harness's ceiling: ${rates.memory! >= 10_000 ? 'meets' : 'MISSES'} the 10,000 ops/s target; the file manifest reaches ${((rates.file! / rates.memory!) * 100).toFixed(1)}% of it\n`);

  section(`workload quick sweep: ${sweepConfigs(QUICK_GRID).length} configs of 2 s, 2 at a time`);
  const started = performance.now();
  const report = await runSweep(sweepConfigs(QUICK_GRID, { duration: 2 }));
  const seconds = (performance.now() - started) / 1000;
  const held = report.results.filter((r) => r.isolation.ok).length;
  process.stdout.write(`${seconds.toFixed(1)} s wall (target under 60 s), isolation held in ${held} of ${report.results.length}\n`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

exitOnSignals();
process.stdout.write(`# contend benchmark — node ${process.version}, ${matrixCases().length} matrix cases\n`);
// `npm run bench -- workload fuzz` runs just those sections. `startup` runs only when named: it
// spends a minute or two on cold starts and packs and installs the package through npm's cache.
const SECTIONS: Record<string, () => Promise<void>> = {
  startup: () => startup(section),
  matrix: matrixTimes,
  dispatch: dispatchOverhead,
  handover,
  'pool-stall': poolStall,
  'save-cost': saveCost,
  fuzz: fuzzPace,
  workload: workloadCeiling,
  explore: () => exploreCosts(section),
  powerloss: () => powerlossCosts(section),
  storages: () => storageCosts(section),
};
const ONLY_WHEN_NAMED = new Set(['startup']);
const chosen = process.argv.slice(2);
for (const name of chosen) {
  if (!SECTIONS[name]) {
    process.stderr.write(`bench: unknown section "${name}"; allowed: ${Object.keys(SECTIONS).join(', ')} (startup only when named)\n`);
    process.exit(2);
  }
}
const wanted = (name: string): boolean => (chosen.length === 0 ? !ONLY_WHEN_NAMED.has(name) : chosen.includes(name));
let warmed = false;
try {
  for (const [name, run] of Object.entries(SECTIONS)) {
    if (!wanted(name)) continue;
    // Started after startup, which comes first: hosts starting meanwhile would be in its cold starts.
    // Hosts for any actor, since some sections run locks on a server.
    if (name !== 'startup' && !warmed) {
      await prewarmProcesses(8, false);
      warmed = true;
    }
    await run();
  }
} finally {
  await closePools();
}
