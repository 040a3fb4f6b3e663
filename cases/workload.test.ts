import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { InvalidOptionError, WorkerFaultError, registerLock } from '../lib/index.js';
import { type OpRecord } from '../lib/workload/protocol.js';
import { resolveWorkload, writerKeys } from '../lib/workload/config.js';
import { FUSIO_COLUMNS, parseCsv, toCsv } from '../lib/workload/csv.js';
import { verifyIsolation } from '../lib/workload/isolation.js';
import { type Snapshot } from '../lib/workload/manifest.js';
import { runWorkload, type WorkloadResult } from '../lib/workload/run.js';
import { entryDigest } from '../lib/workload/manifest.js';

function contend(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['dist/lib/cli/main.js', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let scratch: string | undefined;
const scratchDir = (): string => (scratch = mkdtempSync(join(tmpdir(), 'contend-workload-test-')));
afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

describe('workload config', () => {
  test.each([
    [{ writers: 0 }, 'invalid writers: 0; allowed: an integer from 1 to 64'],
    [{ keyOverlap: 1.5 }, 'invalid key overlap: 1.5; allowed: a number from 0 to 1'],
    [{ writerRate: 0 }, 'invalid writer rate: 0; allowed: a number above 0 to 100000'],
    [{ kind: 'fiber' as never }, 'invalid client kind: "fiber"; allowed: thread, process'],
    [{ conflict: 'row' as never }, 'invalid conflict scope: "row"; allowed: key, manifest'],
    [{ cas: 'maybe' as never }, 'invalid cas: "maybe"; allowed: locked, unlocked'],
    [{ lock: 'nope' }, 'invalid lock: "nope"; allowed: none, spinlock, mutex, flock, lockfile'],
    [{ storage: 'memory' as const, kind: 'process' as const }, 'invalid storage for process clients: "memory"'],
    [{ writrs: 2 } as never, 'invalid workload config field: "writrs"; allowed: writers, writerRate'],
    [{ chaos: { latencyMs: -1 } } as never, 'invalid chaos latencyMs: -1; allowed: a number of ms from 0 to 60000'],
    [{ chaos: { latency: 10 } } as never, 'invalid chaos field: "latency"; allowed: latencyMs, outages, outageMs, cpuThreads, cpuDuty'],
    [{ chaos: 'cpu' } as never, 'invalid chaos: "cpu"; allowed: an object with latencyMs'],
  ])('%j is refused with the allowed values', (given, message) => {
    expect(() => resolveWorkload(given)).toThrow(InvalidOptionError);
    expect(() => resolveWorkload(given)).toThrow(message);
  });

  test("fusio-manifest's KeyPool: an even split, each writer sharing a share of the previous one's keys", () => {
    expect([0, 1, 2, 3].map((w) => writerKeys(100, 4, 0, w).length)).toEqual([25, 25, 25, 25]);
    const [w0, w1] = [writerKeys(100, 3, 0.2, 0), writerKeys(100, 3, 0.2, 1)];
    expect(w0.filter((k) => w1.includes(k))).toEqual(['key_000027', 'key_000028', 'key_000029', 'key_000030', 'key_000031', 'key_000032']);
  });
});

const ok = (client: string, op: number, key: string, value: string | undefined, base: number, version: number, attempt = 0): OpRecord => ({
  client,
  op,
  attempt,
  f: value === undefined ? 'delete' : 'put',
  key,
  ...(value !== undefined ? { value } : {}),
  base,
  type: 'ok',
  version,
  start: op,
  end: op + 0.5,
});
const read = (client: string, op: number, version: number, entries: [string, string][]): OpRecord => ({
  client,
  op,
  attempt: 0,
  f: 'read',
  type: 'ok',
  version,
  digest: entries.reduce((d, [k, v]) => (d + entryDigest(k, v)) >>> 0, 0),
  size: entries.length,
  start: op,
  end: op + 0.1,
});
const manifest = (version: number, entries: [string, string][], duplicates: string[] = []): Snapshot => ({
  version,
  entries: new Map(entries.map(([key, value]) => [key, { key, value, version, writer: 1 }])),
  duplicates,
});

describe('isolation verification from the history', () => {
  const clean = [ok('w1', 0, 'a', 'w1-0', 0, 1), ok('w2', 0, 'b', 'w2-0', 1, 2), ok('w1', 1, 'a', undefined, 2, 3), read('r1', 0, 1, [['a', 'w1-0']]), read('r1', 1, 3, [['b', 'w2-0']])];

  test('a serial history passes', () => {
    const report = verifyIsolation(clean, manifest(3, [['b', 'w2-0']]));
    expect(report.violations).toEqual([]);
    expect(report.checked).toEqual({ writes: 3, reads: 2, versions: 3 });
  });

  test.each([
    ['duplicate-version', [ok('w1', 0, 'a', 'w1-0', 0, 1), ok('w2', 0, 'b', 'w2-0', 0, 1)], manifest(1, [['b', 'w2-0']])],
    ['lost-write', [ok('w1', 0, 'a', 'w1-0', 0, 1)], manifest(1, [])],
    ['unacknowledged-commit', [ok('w1', 0, 'a', 'w1-0', 0, 1)], manifest(2, [['a', 'w1-0']])],
    ['uncommitted-read', [ok('w1', 0, 'a', 'w1-0', 0, 1), read('r1', 0, 1, [['a', 'w9-9']])], manifest(1, [['a', 'w1-0']])],
    ['non-monotonic-read', [...clean.slice(0, 3), read('r1', 0, 2, [['a', 'w1-0'], ['b', 'w2-0']]), read('r1', 1, 1, [['a', 'w1-0']])], manifest(3, [['b', 'w2-0']])],
    ['torn-read', [{ client: 'r1', op: 0, attempt: 0, f: 'read', type: 'error', error: 'empty', start: 0, end: 1 } as OpRecord], manifest(0, [])],
    ['torn-read', [{ client: 'w1', op: 0, attempt: 0, f: 'put', key: 'a', type: 'error', error: 'empty', start: 0, end: 1 } as OpRecord], manifest(0, [])],
    ['version-order', [ok('w1', 0, 'a', 'w1-0', 1, 2), ok('w2', 0, 'b', 'w2-0', 0, 1), ok('w1', 1, 'a', 'w1-1', 0, 1)], manifest(2, [['a', 'w1-0'], ['b', 'w2-0']])],
    ['duplicate-key', [ok('w1', 0, 'a', 'w1-0', 0, 1)], manifest(1, [['a', 'w1-0']], ['a'])],
  ] as const)('%s is found and names the operations', (kind, history, final) => {
    const report = verifyIsolation(history, final);
    expect(report.ok).toBe(false);
    expect(report.counts[kind]).toBeGreaterThan(0);
    const found = report.violations.find((v) => v.kind === kind)!;
    if (kind !== 'unacknowledged-commit' && kind !== 'duplicate-key') expect(found.ops.length).toBeGreaterThan(0);
  });
});

describe('workload runs', () => {
  test('a truncating write strategy: writers and readers find torn manifests, and the check says so', async () => {
    const r = await runWorkload({ write: 'truncate', writers: 3, writerRate: 100, readers: 2, readerRate: 200, duration: 1.5, valueSize: 2048 });
    expect(r.isolation.ok).toBe(false);
    expect(r.isolation.counts['torn-read']).toBeGreaterThan(0);
  });

  test('a quick baseline on the file manifest: writes commit, some conflict, isolation holds', async () => {
    const r = await runWorkload({ writers: 3, writerRate: 60, readers: 2, readerRate: 60, duration: 1.5 });
    expect(r.isolation.violations).toEqual([]);
    expect(r.isolation.ok).toBe(true);
    expect(r.summary.totalWriteSuccess).toBeGreaterThan(20);
    expect(r.summary.totalReads).toBeGreaterThan(20);
    // Every commit is one version: the final manifest's version counts the acknowledged writes.
    expect(r.isolation.checked.versions).toBe(r.summary.totalWriteSuccess);
    expect(r.summary.totalWriteAttempts).toBe(r.summary.totalWriteSuccess + r.summary.totalPreconditionFailures + r.summary.totalWriteErrors);
  });

  test('process clients, key-scoped preconditions: isolation holds', async () => {
    const r = await runWorkload({ kind: 'process', conflict: 'key', writers: 2, writerRate: 40, readers: 1, readerRate: 40, duration: 1 });
    expect(r.isolation.violations).toEqual([]);
    expect(r.summary.totalWriteSuccess).toBeGreaterThan(10);
  });

  test('the broken mode (no lock around the compare-and-swap) is caught with the operations involved', async () => {
    const r = await runWorkload({ cas: 'unlocked', writers: 4, writerRate: 200, readers: 1, readerRate: 50, duration: 1.5 });
    expect(r.isolation.ok).toBe(false);
    expect(r.isolation.counts['duplicate-version']).toBeGreaterThan(0);
    const dup = r.isolation.violations.find((v) => v.kind === 'duplicate-version')!;
    expect(dup.ops.length).toBeGreaterThanOrEqual(2);
    expect(new Set(dup.ops.map((o) => o.version)).size).toBe(1);
  });

  test('a client that throws is reported by worker number, client and action; the run ends there, and nothing is left running', { timeout: 20_000 }, async () => {
    await registerLock({ module: new URL('./fixtures/faulty-locks.ts', import.meta.url).href, export: 'FaultyLockAdapter' });
    // The faulty lock throws in worker 3 (writer w3) at its first commit: the fault ends a run
    // meant to last a minute, rather than waiting for the other clients to finish it.
    const run = runWorkload({ lock: 'faulty', writers: 3, writerRate: 50, readers: 1, duration: 60 });
    await expect(run).rejects.toThrow(WorkerFaultError);
    await expect(run).rejects.toThrow(/^worker 3 threw during 'w3 (put|delete) key_\d+ \(op 0, attempt 0\)': Error: worker 3 cannot lock$/);
  });

  test.each(['thread', 'process'] as const)('%s: a client that dies is named with the action it died in, not only "run"', { timeout: 30_000 }, async (kind) => {
    await registerLock({ module: new URL('./fixtures/faulty-locks.ts', import.meta.url).href, export: 'DyingLockAdapter' });
    const run = runWorkload({ lock: 'dying', kind, writers: 3, writerRate: 50, readers: 1, duration: 60 });
    await expect(run).rejects.toThrow(WorkerFaultError);
    const error = (await run.catch((e: unknown) => e)) as WorkerFaultError;
    expect(error.faults).toHaveLength(1);
    expect(error.faults[0]).toMatchObject({ worker: 3, reason: 'died' });
    expect(error.faults[0]!.action).toMatch(/^w3 (put|delete) key_\d+ \(op 0, attempt 0\)$/);
    expect(error.faults[0]!.detail).toMatch(kind === 'process' ? /exited with code 7/ : /thread/);
  });
});

describe('CSV and plots', () => {
  test("the CSV carries fusio-manifest's 24 columns, named and ordered as its tool wrote them, and reads back", async () => {
    const r = await runWorkload({ storage: 'memory', writers: 2, writerRate: 200, readers: 1, readerRate: 200, duration: 0.5 });
    const csv = toCsv([r]);
    const header = csv.split('\n')[0]!.split(',');
    expect(header.slice(0, 24)).toEqual([...FUSIO_COLUMNS]);
    // The columns fusio-manifest's README names, read_p95_ms among them.
    for (const c of ['num_writers', 'writer_rate', 'key_overlap_ratio', 'reader_rate', 'write_tps', 'read_tps', 'write_p50_ms', 'write_p95_ms', 'write_p99_ms', 'read_p50_ms', 'read_p95_ms', 'read_p99_ms', 'precondition_failure_rate', 'avg_retry_count', 'retry_success_rate', 'retry_failure_rate', 'total_retry_failures']) {
      expect(header).toContain(c);
    }
    const [row] = parseCsv(csv);
    expect(row!.config_label).toBe('W2_WR200.00_O0.2_RD1_RT200');
    expect(Number(row!.write_tps)).toBeCloseTo(r.summary.writeTps, 1);
    expect(row!.isolation_ok).toBe('true');
  });

  test('contend plot draws non-empty SVG images and one self-contained HTML report', () => {
    const out = join(scratchDir(), 'plots');
    const r = contend('plot', 'cases/fixtures/small-sweep.csv', '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['failure-rate.svg', 'heatmap.svg', 'latency.svg', 'report.html', 'throughput.svg']);
    for (const f of ['failure-rate.svg', 'heatmap.svg', 'latency.svg', 'throughput.svg']) {
      const svg = readFileSync(join(out, f), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      // Marks drawn from the data, not an empty frame: one point or cell per config at least.
      expect((svg.match(/<path|<rect/g) ?? []).length).toBeGreaterThan(12);
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script|src="http|href="http/);
    expect((html.match(/<svg/g) ?? []).length).toBe(4);
    expect(html).toContain('W4_WR100.00_O0.4_RD4_RT50');
  });

  test('a chaos CSV gets the degradation panel', () => {
    const out = join(scratchDir(), 'chaos');
    const r = contend('plot', 'cases/fixtures/small-chaos.csv', '--out', out, '--json');
    expect(r.code).toBe(0);
    const plots = JSON.parse(r.stdout).plots as { name: string; bytes: number }[];
    expect(plots.map((p) => p.name)).toEqual(['chaos', 'chaos-latency']);
    expect(statSync(join(out, 'chaos.svg')).size).toBeGreaterThan(5_000);
    expect(readFileSync(join(out, 'chaos.svg'), 'utf8')).toContain('latency-50ms');
  });

  test('a file that is not a workload CSV is refused in one line, exit status 2', () => {
    const r = contend('plot', 'package.json');
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("package.json is not a workload CSV: it has none of the workload columns");
  });
});

describe('contend sweep and chaos', () => {
  test('a small sweep prints progress, writes the CSV and plots, and checks isolation per config', () => {
    const dir = scratchDir();
    const r = contend('sweep', '--writers', '2,3', '--writer-rates', '20', '--overlaps', '0.2', '--readers', '1', '--reader-rates', '20', '--duration', '1', '--csv', join(dir, 's.csv'), '--plot', join(dir, 'p'), '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\[1\/2\] W2_WR20\.00_O0\.2_RD1_RT20 .* ok/);
    expect(r.stderr).toMatch(/\[2\/2\] W3_WR20\.00_O0\.2_RD1_RT20 /);
    const json = JSON.parse(r.stdout);
    expect(json.results).toHaveLength(2);
    expect(json.results.every((x: WorkloadResult) => x.isolation.ok)).toBe(true);
    expect(parseCsv(readFileSync(join(dir, 's.csv'), 'utf8'))).toHaveLength(2);
    expect(readdirSync(join(dir, 'p'))).toContain('report.html');
  });

  test('the broken mode through the CLI: violations printed, exit status 1', () => {
    const r = contend('sweep', '--cas', 'unlocked', '--writers', '4', '--writer-rates', '200', '--overlaps', '0.2', '--readers', '1', '--reader-rates', '20', '--duration', '1');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('isolation held in 0 of 1 configs');
    expect(r.stdout).toMatch(/duplicate-version: \d+ acknowledged writes all committed version \d+/);
  });

  test('chaos runs the baseline first and reports each scenario against it', () => {
    const r = contend('chaos', '--scenarios', 'latency-10ms,blocked', '--duration', '1', '--writers', '2', '--writer-rate', '20', '--readers', '1', '--reader-rate', '20', '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.degradation.map((d: { scenario: string }) => d.scenario)).toEqual(['baseline', 'latency-10ms', 'blocked']);
    expect(json.results.every((x: WorkloadResult) => x.isolation.ok)).toBe(true);
    // Added latency is in every storage call, so no write can be faster than two of them.
    expect(json.results[1].summary.writeP50Ms).toBeGreaterThanOrEqual(20);
    expect(json.results[2].config.chaos).toMatchObject({ outages: 3, outageMs: 100 });
  });

  test.each([
    [['sweep', '--writer-rates', '10,fast'], 'contend: invalid writer-rates: "fast"; allowed: a comma list of numbers'],
    [['sweep', '--quick', '--overlaps', '2'], 'contend: invalid key overlap: 2; allowed: a number from 0 to 1'],
    [['sweep', '--quick', '--parallel', '0'], 'contend: invalid parallel: 0; allowed: an integer from 1 to 16'],
    [['sweep', '--writers', '30', '--readers', '10'], 'contend: invalid parallel: 2; allowed: at most 1 for configs of 40 thread clients'],
    [['chaos', '--scenarios', 'flood'], 'contend: invalid chaos scenario: "flood"; allowed: baseline, latency-10ms'],
    [['chaos', '--storage', 'memory', '--kind', 'process'], 'contend: invalid storage for process clients'],
  ])('bad input %j: one line, exit status 2', (args, message) => {
    const r = contend(...args);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });
});
