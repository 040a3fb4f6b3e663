import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sharedServer, startServer, SERVER_KINDS, type ServerKind } from '../lib/servers/index.js';
import { processState, processTree } from '../lib/servers/process.js';
import { createLock, lockRegistry } from '../lib/locks/registry.js';
import { standaloneContext } from '../lib/locks/registry.js';
import { runAudit } from '../lib/audit/audit.js';
import { runWorkload } from '../lib/workload/run.js';
import { registerLock, runCase, unregisterLock } from '../lib/index.js';
import { docBlock } from './support/docs.js';
import { NO_RACE } from './support/table.js';
import { CHAOS_DEFAULTS } from '../lib/workload/chaos.js';

// Locks on real servers (PostgreSQL, Redis, etcd), each a throwaway instance contend starts on a
// free localhost port and removes afterwards. .ci/run installs the servers from Debian's packages.

const CLI = 'dist/lib/cli/main.js';
const contend = (args: string[], env: NodeJS.ProcessEnv = process.env) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 180_000, env });

// Commands whose point is not the start of a server share this file's servers (CONTEND_*_URL), as
// a CI job with service containers would: each command would otherwise start its own.
let sharedEnv: NodeJS.ProcessEnv;
beforeAll(async () => {
  const urls = await Promise.all(SERVER_KINDS.map(async (kind) => [`CONTEND_${kind.toUpperCase()}_URL`, (await sharedServer(kind)).url] as const));
  sharedEnv = { ...process.env, ...Object.fromEntries(urls) };
}, 120_000);

const LOCK_ON: Record<ServerKind, string> = { postgres: 'pg-advisory', redis: 'redis-lease', etcd: 'etcd-lease' };

// A zombie has ended: only its exit status is left for its parent.
const alive = (pid: number): boolean => ![undefined, 'Z'].includes(processState(pid));

/** The pids of a process's descendants whose command line matches. */
function descendants(root: number, match: RegExp): number[] {
  return processTree(root)
    .slice(1)
    .filter((pid) => {
      try {
        return match.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
      } catch {
        return false; // ended while we looked
      }
    });
}

/** PostgreSQL's dynamic shared memory segments in /dev/shm (its default place for them). */
const postgresShmFiles = (): string[] => (existsSync('/dev/shm') ? readdirSync('/dev/shm').filter((n) => n.startsWith('PostgreSQL.')) : []);

/** The ids of the System V shared memory segments that exist now. */
const sysvSegments = (): number[] =>
  readFileSync('/proc/sysvipc/shm', 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => Number(l.trim().split(/\s+/)[1]));

/** A running PostgreSQL's interlock segment, from the postmaster.pid in its data directory. */
const interlockOf = (dir: string): number => Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[6]!.trim().split(/\s+/)[1]);

describe('throwaway servers', () => {
  test.each(SERVER_KINDS)('%s: on 127.0.0.1 and a free port, it answers its lock; once stopped, no process and no directory are left', async (kind) => {
    const server = await startServer(kind);
    const { pid } = server.process;
    try {
      expect(server.address).toMatchObject({ kind, host: '127.0.0.1' });
      expect(alive(pid)).toBe(true);
      expect(existsSync(server.dir)).toBe(true);
      const adapter = lockRegistry.resolve(LOCK_ON[kind]).adapter;
      const signal = new AbortController().signal;
      const make = (worker: number) => createLock(adapter, standaloneContext({ worker, kind: 'async', lockPath: `/contend-test/${kind}`, signal }), { url: server.address.url });
      const [a, b] = [await make(1), await make(2)];
      try {
        expect(await a.tryAcquire()).toBe(true);
        expect(await b.tryAcquire()).toBe(false);
        await a.release();
        expect(await b.tryAcquire()).toBe(true);
      } finally {
        await a.close?.();
        await b.close?.();
      }
    } finally {
      await server.stop();
    }
    expect(alive(pid)).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
  });

  test.each(['SIGINT', 'SIGTERM', 'SIGKILL'] as const)('contend ended by %s in the middle of a run: its server ends with it', async (signal) => {
    // A period-mode case takes seconds: long enough to end it while its server runs.
    const before = new Set(readdirSync(tmpdir()));
    const child = spawn(process.execPath, [CLI, 'run', '--lock', 'redis-lease', '--workers-kind', 'process', '--workers', '2', '--mode', 'period', '--period', '1'], { stdio: 'ignore' });
    const exited = once(child, 'exit');
    let servers: number[] = [];
    while (servers.length === 0 && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      servers = descendants(child.pid!, /redis-server/);
    }
    expect(servers).toHaveLength(1);
    const argv = readFileSync(`/proc/${servers[0]}/cmdline`, 'utf8').split('\0');
    const dir = argv[argv.indexOf('--dir') + 1]!;
    const cleaners = descendants(child.pid!, /contend-cleanup/);
    expect(cleaners).toHaveLength(1);
    child.kill(signal);
    await exited;
    // The kernel's death signal ends it even when contend had no say (SIGKILL).
    for (let i = 0; i < 100 && alive(servers[0]!); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(alive(servers[0]!)).toBe(false);
    // Its directory goes with it, by contend's exit hook or, after a SIGKILL, by its cleaner.
    for (let i = 0; i < 100 && alive(cleaners[0]!); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(alive(cleaners[0]!)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(tmpdir()).filter((n) => !before.has(n) && n.startsWith('contend-'))).toEqual([]);
  }, 60_000);
});

test('contend SIGKILLed while its PostgreSQL is paused: every process of the server ends, the stopped backends too', async () => {
  // The backends live in sessions of their own and notice their postmaster's end only when they
  // run: the pause's watchdog resumes them once contend is gone.
  const script = `
    import { startServer } from ${JSON.stringify(new URL('../dist/lib/servers/index.js', import.meta.url).href)};
    import pg from 'pg';
    const server = await startServer('postgres');
    const client = new pg.Client({ connectionString: server.address.url });
    client.on('error', () => {});
    await client.connect();
    server.process.pause();
    process.stdout.write(JSON.stringify({ pid: server.process.pid, dir: server.dir }) + '\\n');
    setInterval(() => {}, 1000);
  `;
  const shmBefore = postgresShmFiles();
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], cwd: new URL('..', import.meta.url) });
  const exited = once(child, 'exit');
  let pid: number, dir: string, segment: number, tree: number[], cleaners: number[];
  try {
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    ({ pid, dir } = JSON.parse(line.toString()) as { pid: number; dir: string });
    segment = interlockOf(dir);
    expect(sysvSegments()).toContain(segment);
    tree = [pid, ...descendants(pid, /postgres/)];
    expect(tree.length).toBeGreaterThan(2);
    expect(tree.map(processState)).toEqual(tree.map(() => 'T'));
    cleaners = descendants(child.pid!, /contend-cleanup/);
    expect(cleaners).toHaveLength(1);
  } finally {
    // Also when an assertion above failed: the server and its directory go with the child.
    child.kill('SIGKILL');
    await exited;
  }
  for (let i = 0; i < 600 && [...tree, ...cleaners].some(alive); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(tree.filter(alive)).toEqual([]);
  // Its data directory too, removed by the cleaner of the process that started it, and its shared
  // memory: the interlock segment by the same cleaner, the dynamic segments with the directory.
  expect(cleaners.filter(alive)).toEqual([]);
  expect(existsSync(dir)).toBe(false);
  expect(sysvSegments()).not.toContain(segment);
  expect(postgresShmFiles().filter((f) => !shmBefore.includes(f))).toEqual([]);
}, 60_000);

test('a PostgreSQL still running when contend exits is killed, and leaves no shared memory behind', async () => {
  const script = `
    import { startServer } from ${JSON.stringify(new URL('../dist/lib/servers/index.js', import.meta.url).href)};
    const server = await startServer('postgres');
    process.stdout.write(JSON.stringify({ pid: server.process.pid, dir: server.dir }) + '\\n');
    // Exits (normally, its exit hook running) when told, or when this test's end closes the pipe.
    process.stdin.on('data', () => process.exit(0)).on('end', () => process.exit(0));
  `;
  const shmBefore = postgresShmFiles();
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'], cwd: new URL('..', import.meta.url) });
  const exited = once(child, 'exit');
  try {
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const { pid, dir } = JSON.parse(line.toString()) as { pid: number; dir: string };
    const segment = interlockOf(dir);
    expect(sysvSegments()).toContain(segment);
    expect(postgresShmFiles().filter((f) => !shmBefore.includes(f))).toEqual([]);
    child.stdin!.write('exit\n');
    await exited;
    // Its exit hook killed the server (no clean shutdown) and removed what the server could not.
    for (let i = 0; i < 200 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(alive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(sysvSegments()).not.toContain(segment);
  } finally {
    child.stdin!.end();
    await exited;
  }
}, 60_000);

describe('locks on a server, through the CLI', () => {
  test('the matrix of every lock on a server, in every worker kind, on the servers the environment names: all PASS, exit 0, and no server of its own started', () => {
    const before = readdirSync(tmpdir()).filter((n) => /^contend-(postgres|redis|etcd)-/.test(n)).length;
    // Two workers a case: enough to contend, and each of the 15 cases connects fewer clients.
    const r = contend(['matrix', '--locks', 'pg-advisory,pg-advisory-xact,redis-lease,redlock,etcd-lease', '--orders', 'force-write', '--workers', '2', '--json'], sharedEnv);
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { rows?: unknown[] } | { options: { kind: string; lock: string }; verdict: string }[];
    const list = (Array.isArray(rows) ? rows : (rows.rows as { options: { kind: string; lock: string }; verdict: string }[]));
    expect(list.map((row) => `${row.options.kind} ${row.options.lock} ${row.verdict}`).sort()).toEqual(
      ['async', 'thread', 'process'].flatMap((kind) => ['pg-advisory', 'pg-advisory-xact', 'redis-lease', 'redlock', 'etcd-lease'].map((lock) => `${kind} ${lock} pass`)).sort(),
    );
    expect(readdirSync(tmpdir()).filter((n) => /^contend-(postgres|redis|etcd)-/.test(n)).length).toBe(before);
  }, 180_000);

  test('a server that is not installed: one line saying how to install it, exit 2, before any work', () => {
    const r = contend(['run', '--lock', 'redis-lease'], { ...process.env, PATH: '/nonexistent' });
    expect(r.stderr).toBe("contend: the redis-lease lock needs Redis's server (redis-server): apt-get install redis-server, or put its programs on PATH\n");
    expect(r.status).toBe(2);
    const etcd = contend(['explore', '--lock', 'etcd-lease'], { ...process.env, PATH: '/nonexistent' });
    expect(etcd.stderr).toBe("contend: the etcd-lease lock needs etcd's server (etcd): apt-get install etcd-server, or put its programs on PATH\n");
    expect(etcd.status).toBe(2);
  });

  test('a url of your own is used as given, and a bad one is refused naming what is allowed', async () => {
    const bad = contend(['run', '--lock', 'redis-lease', '--lock-options', '{"url":"http://127.0.0.1:1"}']);
    expect(bad.stderr.trim()).toBe('contend: invalid redis-lease lock option url: "http://127.0.0.1:1"; allowed: empty (contend starts a redis server) or a URL starting with redis://');
    expect(bad.status).toBe(2);
    // A server the user runs: the case passes on it; once it is gone, the case cannot reach it
    // (contend did not start one of its own in its place).
    const server = await startServer('redis');
    const url = JSON.stringify({ url: server.address.url });
    try {
      expect(contend(['run', '--lock', 'redis-lease', '--lock-options', url, '--workers-kind', 'thread']).status).toBe(0);
    } finally {
      await server.stop();
    }
    const gone = contend(['run', '--lock', 'redis-lease', '--lock-options', url, '--workers-kind', 'thread']);
    expect(gone.stderr).toMatch(/^contend: worker 1 threw during 'start': ContendError: cannot reach redis at redis:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    expect(gone.status).toBe(1);
  }, 60_000);

  test('explore: a lease lock on its server keeps two process actors apart in every schedule within the bound', () => {
    const r = contend(['explore', '--lock', 'redis-lease', '--kind', 'process'], sharedEnv);
    expect(r.stdout).toMatch(/^PASS: no forbidden outcome in any schedule within the bound$/m);
    expect(r.stdout).toContain("redis-lease locks on its redis server: its entry and exit are points, the server's calls in between are not");
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('a lock on a server written as a user would', () => {
  const FIXTURE = new URL('./fixtures/redis-setnx-lock.ts', import.meta.url);
  beforeAll(async () => {
    await registerLock({ module: FIXTURE.href, export: 'RedisSetNxLockAdapter' });
  });
  afterAll(() => {
    unregisterLock('setnx');
  });

  test('doc/adapters.md shows exactly this adapter', () => {
    expect(docBlock('doc/adapters.md', 'redis-setnx-lock.ts')).toBe(readFileSync(FIXTURE, 'utf8'));
  });

  test.each(['async', 'thread', 'process'] as const)('%s workers: on the throwaway Redis contend starts for it, no race', async (kind) => {
    const result = await runCase({ kind, lock: 'setnx', order: 'force-write' });
    expect(result).toHaveOutcomes(NO_RACE);
    expect(result.trace.some((t) => t.status === 'blocked')).toBe(true);
  });
});

describe('what a lease promises, audited', () => {
  test("a lease frees a dead holder's lock when it runs out, gives a stalled or paused holder's lock away (an update lost, unless fencing tokens refuse the stale write); a session lock does neither", async () => {
    const rows = [
      // etcd's shortest lease is one second: both leases run out within the test.
      { name: 'redis-lease', role: 'lock', lockOptions: { ttlMs: 1000 } },
      { name: 'etcd-lease', role: 'lock', lockOptions: { ttlMs: 1000 } },
      { name: 'pg-advisory', role: 'lock' },
    ] as const;
    // One audit per row, side by side: the rows' locks are their own, and the time is spent
    // waiting for leases to run out, not computing.
    const reports = await Promise.all(rows.map((row) => runAudit({ libraries: [{ ...row }], properties: ['holder-killed', 'stall-safe', 'pause-safe', 'fencing'] })));
    const cells = reports.flatMap((r) => r.cells);
    const cell = (library: string, property: string) => cells.find((c) => c.library === library && c.property === property)!;
    for (const lease of ['redis-lease (ttlMs=1000)', 'etcd-lease (ttlMs=1000)']) {
      expect(cell(lease, 'holder-killed')).toMatchObject({ verdict: 'yes', detail: expect.stringMatching(/^after \d+ ms: its lease ran out \(ttlMs 1000\)$/) });
      expect(cell(lease, 'stall-safe')).toMatchObject({ verdict: 'no', detail: expect.stringMatching(/^taken over \d+ ms into the stall while its holder still held it; the old holder was not told/) });
    }
    for (const lease of ['redis-lease (ttlMs=1000)', 'etcd-lease (ttlMs=1000)']) {
      // Paused past its lease, the holder's write loses the other's increment; fenced, it is refused.
      expect(cell(lease, 'pause-safe')).toMatchObject({
        verdict: 'no',
        detail: expect.stringMatching(/another contender got the lock \d+ ms into the pause — its lease ran out \(ttlMs 1000\) — and counted; resumed, the paused holder wrote what it had read plus one: count 1 of 2 \(1 lost\)$/),
      });
      expect(cell(lease, 'fencing')).toMatchObject({ verdict: 'yes', detail: expect.stringMatching(/the paused holder's write \(token (\d+)\) was refused, the store had seen (\d+); count 1: the other's increment \(token \2\) kept, nothing lost$/) });
    }
    expect(cell('pg-advisory', 'pause-safe')).toMatchObject({ verdict: 'yes', detail: 'the paused holder kept the lock, no one else got it while it was stopped; count 2 of 2' });
    expect(cell('pg-advisory', 'fencing')).toMatchObject({ verdict: 'n/a' });
    // The token-checked release: the old holder's release did not delete the new holder's key.
    expect(cell('redis-lease (ttlMs=1000)', 'stall-safe').detail).toMatch(/the new holder's lock survived$/);
    // Freed when the server ends the dead holder's session, which the audit waits to see.
    expect(cell('pg-advisory', 'holder-killed')).toMatchObject({ verdict: 'yes', detail: expect.stringMatching(/^after \d+ ms, when the server had ended its session: free on the first attempt after the holder SIGKILLed$/) });
    expect(cell('pg-advisory', 'stall-safe')).toMatchObject({ verdict: 'yes' });
  }, 120_000);
});

describe('the server paused or restarted, the holder cut off', () => {
  test('a pause holds from its return to resume(), also when it follows a resume at once: no process of the server runs meanwhile', async () => {
    const stopped = (tree: number[]): (string | undefined)[] => tree.map(processState);
    const server = await startServer('redis');
    try {
      const tree = processTree(server.process.pid);
      server.process.pause();
      expect(stopped(tree)).toEqual(tree.map(() => 'T'));
      // The watchdog that resumes the server should this process die: the one of this pause.
      const [watchdog] = descendants(process.pid, /contend-resume/);
      expect(watchdog).toBeDefined();
      server.process.resume();
      server.process.pause();
      // Once that first watchdog is gone, whatever it was to do is done: it must not have resumed
      // the server under the second pause.
      while (alive(watchdog!)) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(stopped(tree)).toEqual(tree.map(() => 'T'));
      server.process.resume();
      expect(stopped(tree)).not.toContain('T');
    } finally {
      server.process.resume();
      await server.stop();
    }
  });

  test('a paused server: every worker kind reports each worker that could not reach it, by number and action, and exits 1 instead of waiting', async () => {
    const server = await startServer('redis');
    try {
      server.process.pause();
      for (const kind of ['async', 'thread', 'process']) {
        const r = contend(['run', '--lock', 'redis-lease', '--workers-kind', kind, '--workers', '2', '--lock-options', JSON.stringify({ url: server.address.url, timeoutMs: 300 })]);
        for (const worker of [1, 2]) {
          expect(r.stderr).toContain(`worker ${worker} threw during 'start': ServerTimeoutError: connecting for the redis-lease lock: the server at ${server.address.url} did not answer within 300 ms (timeoutMs)`);
        }
        expect(r.status, `${kind}: ${r.stderr}`).toBe(1);
      }
    } finally {
      await server.stop();
    }
  }, 60_000);

  test("audited: a contender gives up on a paused server within its timeout; across a restart, Redis without persistence and PostgreSQL's sessions lose the lock (an update lost), etcd's persisted lease keeps it; a holder cut off loses a lease, not a session", async () => {
    // A healthy call answers in milliseconds; 2 s is a bound for a paused server, not a measure.
    const rows = [
      { name: 'redis-lease', role: 'lock', lockOptions: { ttlMs: 1000, timeoutMs: 2000 } },
      // A lease long enough that its holder's client renews it on the restarted server even on
      // a busy machine: what the row shows is what etcd keeps, not how fast the client is.
      { name: 'etcd-lease', role: 'lock', lockOptions: { ttlMs: 3000, timeoutMs: 2000 } },
      { name: 'pg-advisory', role: 'lock', lockOptions: { timeoutMs: 2000 } },
    ] as const;
    // One audit per row, side by side: each starts a server of its own, and the time is spent
    // waiting for leases and bounds, not computing.
    const reports = await Promise.all(rows.map((row) => runAudit({ libraries: [{ ...row, lockOptions: { ...row.lockOptions } }], properties: ['server-paused', 'server-restart', 'partition-safe'] })));
    const cells = reports.flatMap((r) => r.cells);
    const cell = (library: string, property: string) => cells.find((c) => c.library.startsWith(`${library} (`) && c.property === property)!;
    for (const lock of ['redis-lease', 'etcd-lease', 'pg-advisory']) {
      expect(cell(lock, 'server-paused')).toMatchObject({
        verdict: 'yes',
        detail: expect.stringMatching(/^with its server paused \(SIGSTOP\), a contender asked for the lock: after \d+ ms it failed: taking the lock: the server at \S+ did not answer within 2000 ms \(timeoutMs\); once the server resumed, a new contender got the lock in \d+ ms$/),
      });
    }
    for (const lock of ['redis-lease', 'pg-advisory']) {
      expect(cell(lock, 'server-restart')).toMatchObject({
        verdict: 'no',
        detail: expect.stringMatching(/^its server restarted while a contender held the lock and had read a counter; another contender got the lock \d+ ms after the restart and counted; the holder, never told, wrote what it had read plus one.*: count 1 of 2 \(1 lost\)$/),
      });
    }
    expect(cell('etcd-lease', 'server-restart')).toMatchObject({ verdict: 'yes', detail: "the lock outlived its server's restart: no one else got it within 8000 ms while its holder held it; count 2 of 2" });
    // Cut off, not dead: a lease runs out and its holder's late write loses the other's increment;
    // PostgreSQL keeps the silent session, and with it the lock.
    for (const lease of ['redis-lease', 'etcd-lease']) {
      expect(cell(lease, 'partition-safe')).toMatchObject({
        verdict: 'no',
        detail: expect.stringMatching(/^its holder was cut off from its server \(a partition: its connections silent, not closed\) while a contender held the lock and had read a counter; another contender got the lock \d+ ms after the cut and counted; the holder, never told, wrote what it had read plus one: count 1 of 2 \(1 lost\)$/),
      });
    }
    expect(cell('pg-advisory', 'partition-safe')).toMatchObject({
      verdict: 'yes',
      detail: "the holder cut off from its server kept the lock: no one else got it within 5000 ms while its holder held it (the server keeps a silent connection's session until TCP keepalive notices it gone, hours by default); count 2 of 2",
    });
  }, 120_000);
});

describe('the manifest on real engines', () => {
  test.each(['postgres', 'redis', 'etcd'] as const)("%s: commits through the server's own compare-and-set keep isolation; the broken mode (an unconditional write) violates it", async (storage) => {
    // Half a second of three writers at 100 commits/s each on one manifest: an unconditional write
    // overlaps another's read-modify-write many times over.
    const config = { storage, writers: 3, writerRate: 100, readers: 1, readerRate: 50, duration: 0.5, conflict: 'key' as const, keyOverlap: 0.5, kind: 'thread' as const };
    const locked = await runWorkload(config);
    expect(locked.summary.totalWriteSuccess).toBeGreaterThan(0);
    expect(locked.isolation.violations).toEqual([]);
    const broken = await runWorkload({ ...config, cas: 'unlocked' });
    expect(broken.isolation.ok).toBe(false);
    expect(Object.keys(broken.isolation.counts).length).toBeGreaterThan(0);
  }, 60_000);

  test('chaos outages on a server storage pause the server itself: calls wait out the pause and isolation holds; on a server of your own they are refused before any work, exit 2', async () => {
    const outageMs = 400;
    const result = await runWorkload({ storage: 'redis', writers: 2, writerRate: 50, readers: 1, readerRate: 50, duration: 1.5, kind: 'thread', chaos: { ...CHAOS_DEFAULTS, outages: 1, outageMs } }, { history: true });
    expect(result.isolation.violations).toEqual([]);
    expect(result.summary.totalWriteSuccess).toBeGreaterThan(0);
    // The clients themselves wait for no outage on a server: only a paused server makes a call this long.
    const longest = Math.max(...result.history!.map((r) => r.end - r.start));
    expect(longest).toBeGreaterThanOrEqual(outageMs / 2);
    const refused = contend(['chaos', '--storage', 'redis', '--scenarios', 'blocked', '--quick'], sharedEnv);
    expect(refused.stderr).toBe(
      'contend: invalid chaos outages on the redis storage: 3; allowed: none on a server of your own (CONTEND_REDIS_URL): an outage pauses the server, which contend does only to one it starts (unset CONTEND_REDIS_URL)\n',
    );
    expect(refused.status).toBe(2);
  }, 60_000);

  // The broken mode's exit status 1 is the same code for every storage (workload.test.ts runs it on the file).
  test('contend sweep --storage: exit 0 when isolation holds, 2 when the server is not installed', () => {
    const sweep = ['sweep', '--storage', 'redis', '--writers', '2', '--writer-rates', '50', '--overlaps', '0.5', '--readers', '1', '--reader-rates', '20', '--duration', '1', '--conflict', 'key'];
    const ok = contend(sweep, sharedEnv);
    expect(ok.stdout).toMatch(/^isolation held in 1 of 1 configs$/m);
    expect(ok.status, ok.stderr).toBe(0);
    const missing = contend(['sweep', '--storage', 'etcd', '--quick'], { ...process.env, PATH: '/nonexistent' });
    expect(missing.stderr).toBe("contend: the etcd storage needs etcd's server (etcd): apt-get install etcd-server, or put its programs on PATH\n");
    expect(missing.status).toBe(2);
  }, 60_000);
});
