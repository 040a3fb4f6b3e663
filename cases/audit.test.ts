import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { registerLock, registerWriteStrategy, unregisterLock, unregisterWriteStrategy } from '../lib/index.js';
import { evidenceFor, runAudit } from '../lib/audit/audit.js';
import { straceAvailable } from '../lib/audit/host.js';
import { auditedLibrary, DEFAULT_LIBRARIES, rowLabel } from '../lib/audit/libraries.js';
import { SERVER_SCENARIOS } from '../lib/audit/server-scenarios.js';
import { LOCK_SCENARIOS } from '../lib/audit/lock-scenarios.js';
import { PROPERTIES, type PropertyId } from '../lib/audit/properties.js';
import { type AuditScenario, type Finding, type Verdict } from '../lib/audit/scenario.js';
import { WRITER_SCENARIOS } from '../lib/audit/writer-scenarios.js';

// The conformance table contend audit prints, pinned: every cell is the verdict of one test below,
// named `<row> › <column>`, which is the evidence the table cites. A library that changes what it
// does under these scenarios fails its cell here.
const LOCKS: Record<string, Partial<Record<PropertyId, Verdict>>> = {
  flock: {
    'excludes-async': 'yes',
    'excludes-threads': 'yes',
    'excludes-processes': 'yes',
    'holder-killed': 'yes',
    'thread-terminated': 'yes',
    'stall-safe': 'yes',
    'pause-safe': 'yes',
    fencing: 'n/a',
    'server-paused': 'n/a',
    'server-restart': 'n/a',
    'partition-safe': 'n/a',
    'stale-race': 'n/a',
    'fd-close-safe': 'yes',
    'pool-free': 'yes',
  },
  'fs-ext': {
    'excludes-async': 'yes',
    'excludes-threads': 'no',
    'excludes-processes': 'yes',
    'holder-killed': 'yes',
    'thread-terminated': 'n/a',
    'stall-safe': 'yes',
    'pause-safe': 'yes',
    fencing: 'n/a',
    'server-paused': 'n/a',
    'server-restart': 'n/a',
    'partition-safe': 'n/a',
    'stale-race': 'n/a',
    'fd-close-safe': 'yes',
    'pool-free': 'no',
  },
  'os-lock': {
    'excludes-async': 'no',
    'excludes-threads': 'no',
    'excludes-processes': 'yes',
    'holder-killed': 'yes',
    'thread-terminated': 'yes',
    'stall-safe': 'yes',
    'pause-safe': 'yes',
    fencing: 'n/a',
    'server-paused': 'n/a',
    'server-restart': 'n/a',
    'partition-safe': 'n/a',
    'stale-race': 'n/a',
    'fd-close-safe': 'no',
    'pool-free': 'no',
  },
  'lockfile (staleMs=2000, updateMs=1000)': {
    'excludes-async': 'yes',
    'excludes-threads': 'yes',
    'excludes-processes': 'yes',
    'holder-killed': 'yes',
    'thread-terminated': 'yes',
    'stall-safe': 'no',
    'pause-safe': 'no',
    fencing: 'n/a',
    'server-paused': 'n/a',
    'server-restart': 'n/a',
    'partition-safe': 'n/a',
    'stale-race': 'no',
    'fd-close-safe': 'yes',
    'pool-free': 'yes',
  },
  'npm-lockfile': {
    'excludes-async': 'yes',
    'excludes-threads': 'yes',
    'excludes-processes': 'yes',
    'holder-killed': 'no',
    'thread-terminated': 'no',
    'stall-safe': 'yes',
    'pause-safe': 'yes',
    fencing: 'n/a',
    'server-paused': 'n/a',
    'server-restart': 'n/a',
    'partition-safe': 'n/a',
    'stale-race': 'n/a',
    'fd-close-safe': 'yes',
    'pool-free': 'yes',
  },
  'npm-lockfile (staleMs=2000)': {
    'excludes-async': 'yes',
    'excludes-threads': 'yes',
    'excludes-processes': 'yes',
    'holder-killed': 'yes',
    'thread-terminated': 'yes',
    'stall-safe': 'no',
    'pause-safe': 'no',
    fencing: 'n/a',
    'server-paused': 'n/a',
    'server-restart': 'n/a',
    'partition-safe': 'n/a',
    'stale-race': 'yes',
    'fd-close-safe': 'yes',
    'pool-free': 'yes',
  },
};

const WRITERS: Record<string, Partial<Record<PropertyId, Verdict>>> = {
  truncate: { 'no-lost-updates': 'no', 'temp-unique': 'n/a', 'no-torn-target': 'no', 'no-orphan-temp': 'yes', 'fsyncs-data': 'no', 'fsyncs-directory': 'n/a', 'survives-power-loss': 'no' },
  'write-file-atomic': { 'no-lost-updates': 'no', 'temp-unique': 'yes', 'no-torn-target': 'yes', 'no-orphan-temp': 'no', 'fsyncs-data': 'yes', 'fsyncs-directory': 'no', 'survives-power-loss': 'no' },
  atomically: { 'no-lost-updates': 'no', 'temp-unique': 'yes', 'no-torn-target': 'yes', 'no-orphan-temp': 'no', 'fsyncs-data': 'yes', 'fsyncs-directory': 'no', 'survives-power-loss': 'no' },
  steno: { 'no-lost-updates': 'no', 'temp-unique': 'no', 'no-torn-target': 'yes', 'no-orphan-temp': 'no', 'fsyncs-data': 'no', 'fsyncs-directory': 'no', 'survives-power-loss': 'no' },
  lowdb: { 'no-lost-updates': 'no', 'temp-unique': 'no', 'no-torn-target': 'yes', 'no-orphan-temp': 'no', 'fsyncs-data': 'no', 'fsyncs-directory': 'no', 'survives-power-loss': 'no' },
  conf: { 'no-lost-updates': 'no', 'temp-unique': 'yes', 'no-torn-target': 'yes', 'no-orphan-temp': 'no', 'fsyncs-data': 'yes', 'fsyncs-directory': 'no', 'survives-power-loss': 'no' },
};

const TORN = straceAvailable()
  ? "with the second stopped inside its write \\(strace\\) after 524288 bytes, the first's rename went through and a reader of the target found a torn document \\(524288 bytes, not JSON\\)"
  : 'strace is not installed';

// Power loss, as the model finds it from each library's recorded save: data fsynced but not the
// directory loses only a returned save (its rename undone); no fsync at all also tears.
const RENAME_UNDONE = /; \d+ bad: acknowledged save lost \d+; shortest road to acknowledged save lost: .*fsync #2; rename .* → <dir>\/state\.json \(lost\); power cut after the save returned$/;
const NO_FSYNC = /; \d+ bad: torn \d+, empty \d+, acknowledged save lost \d+; shortest road to torn: create <dir>\/\.state\.json\.tmp; write \d+ B at 0 of #2 \(first 4096 B only\); rename/;

// A stale time gives a paused holder's lock away; resumed, it writes what it read: one increment lost.
const PAUSE_LOST = /another contender got the lock \d+ ms into the pause — taken over as stale \(staleMs 2000\) — and counted; resumed, the paused holder wrote what it had read plus one: count 1 of 2 \(1 lost\)$/;

// What the scenarios show, beyond the verdict: the detail each cell must carry.
// Explored with its clock stretched: a schedule run call by call must not outlast the stale time.
const explored = (scaled: string) => new RegExp(`; explored \\(with ${scaled}: ×1800, so that no lock expires while a schedule runs call by call\\): all \\d+ schedules within 2 preemptions intact$`);

const DETAILS: Record<string, Partial<Record<PropertyId, RegExp>>> = {
  'lockfile (staleMs=2000, updateMs=1000)': {
    'excludes-threads': explored('staleMs 3600000, updateMs 1800000'),
    'pause-safe': PAUSE_LOST,
    'stall-safe': /while its holder still held it; the old holder was told \(.+\); its release failed/,
    'stale-race': /both reclaimers reached rmdir .*; let go in turn, both got the lock: two holders at once/,
  },
  'npm-lockfile (staleMs=2000)': {
    'excludes-processes': explored('staleMs 3600000'),
    'pause-safe': PAUSE_LOST,
    fencing: /^the lock gives no fencing token$/,
    'stall-safe': /the old holder was not told; its release went through; the new holder's lock was deleted by it/,
    'stale-race': /the second's attempt ended without reclaiming \(holds: false\)/,
  },
  'npm-lockfile': { 'holder-killed': /no stale time is set/ },
  'os-lock': {
    'fd-close-safe': /another process got the lock at once/,
    'excludes-threads': /a read found the other worker's write/,
    'pool-free': /all 4 threads of libuv's pool parked/,
  },
  flock: { 'pool-free': /the read finished while 4 waits were pending/, 'pause-safe': /^the paused holder kept the lock, no one else got it while it was stopped; count 2 of 2$/ },
  'fs-ext': { 'pool-free': /all 4 threads of libuv's pool parked/, 'excludes-threads': /unusable: .*fs-ext crashes the process inside worker_threads/ },
  // With strace (CI installs it), the second save is stopped inside its write and a reader finds the target torn.
  steno: { 'temp-unique': new RegExp(`second failed with ENOENT; .*the first's rename published the second's document.*; ${TORN}`), 'survives-power-loss': NO_FSYNC },
  lowdb: { 'temp-unique': new RegExp(`second failed with ENOENT; .*; ${TORN}`), 'survives-power-loss': NO_FSYNC },
  truncate: { 'survives-power-loss': /; \d+ bad: torn \d+, empty \d+, acknowledged save lost \d+; shortest road to torn: truncate #1 to 0; write \d+ B at 0 of #1 \(first 4096 B only\)/ },
  'write-file-atomic': { 'survives-power-loss': RENAME_UNDONE },
  atomically: { 'survives-power-loss': RENAME_UNDONE },
  conf: { 'survives-power-loss': RENAME_UNDONE },
};

const ALL_WRITERS = /4 processes each read, then each wrote \+1: count 1 of 4 \(3 lost\); with flock around each increment: 4 of 4/;

// Each scenario runs once per row; its tests read its findings.
const runs = new Map<string, Promise<Partial<Record<PropertyId, Finding>>>>();
function findings(label: string, scenario: AuditScenario): Promise<Partial<Record<PropertyId, Finding>>> {
  const key = `${label}\0${scenario.id}`;
  if (!runs.has(key)) {
    const spec = DEFAULT_LIBRARIES.find((l) => rowLabel(l.name, l.lockOptions) === label)!;
    runs.set(key, scenario.run(auditedLibrary(spec)));
  }
  return runs.get(key)!;
}

test('every default row and every property of its role is pinned here', () => {
  const labels = DEFAULT_LIBRARIES.map((l) => rowLabel(l.name, l.lockOptions));
  expect(labels.sort()).toEqual([...Object.keys(LOCKS), ...Object.keys(WRITERS)].sort());
  for (const [table, role] of [
    [LOCKS, 'lock'],
    [WRITERS, 'writer'],
  ] as const) {
    for (const cells of Object.values(table)) expect(Object.keys(cells).sort()).toEqual(PROPERTIES.filter((p) => p.role === role).map((p) => p.id).sort());
  }
});

for (const [table, scenarios] of [
  [LOCKS, [...LOCK_SCENARIOS, ...SERVER_SCENARIOS]],
  [WRITERS, WRITER_SCENARIOS],
] as const) {
  for (const [label, cells] of Object.entries(table)) {
    describe(label, () => {
      for (const property of PROPERTIES.filter((p) => p.id in cells)) {
        const scenario = scenarios.find((s) => s.properties.includes(property.id))!;
        test(property.title, { timeout: 90_000 }, async () => {
          const finding = (await findings(label, scenario))[property.id];
          expect(finding, `${label} · ${property.id}`).toBeDefined();
          expect({ verdict: finding!.verdict, detail: finding!.detail }).toMatchObject({ verdict: cells[property.id] });
          const detail = DETAILS[label]?.[property.id] ?? (property.id === 'no-lost-updates' ? ALL_WRITERS : undefined);
          if (detail) expect(finding!.detail).toMatch(detail);
          // The table cites exactly this test.
          expect(evidenceFor(label, property, scenario.id)).toBe(`cases/audit.test.ts › ${label} › ${property.title}`);
        });
      }
    });
  }
}

// A save made by another program (tee, in a child process) is invisible to the traced fs: what
// decides these cells cannot be observed, and the audit must say so rather than answer "yes".
test('a writer whose saves the trace cannot see: every cell that depends on seeing them is "not shown"', async () => {
  await registerWriteStrategy({ module: new URL('./fixtures/tee-strategy.ts', import.meta.url).href, export: 'TeeStrategy' });
  try {
    const report = await runAudit({ libraries: [{ name: 'tee', role: 'writer' }], properties: ['temp-unique', 'no-torn-target', 'no-orphan-temp', 'fsyncs-data', 'fsyncs-directory', 'survives-power-loss'] });
    expect(Object.fromEntries(report.cells.map((c) => [c.property, c.verdict]))).toEqual({
      'temp-unique': 'not shown',
      'no-torn-target': 'not shown',
      'no-orphan-temp': 'not shown',
      'fsyncs-data': 'not shown',
      'fsyncs-directory': 'not shown',
      'survives-power-loss': 'not shown',
    });
    for (const c of report.cells) expect(c.detail).toMatch(/trace/);
  } finally {
    unregisterWriteStrategy('tee');
  }
});

describe('fs-ext inside worker_threads, why its adapter refuses them', () => {
  // CommonJS, so that the threads it starts with `eval` may require() too.
  const run = (script: string) => spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });

  test('its callback form kills the process', () => {
    const probe = join(tmpdir(), 'fs-ext-probe');
    // The thread stays alive, so that the callback always has its isolate to come back to: on a
    // loaded machine a thread that ended first could leave the callback dropped, and the process
    // would end as if nothing were wrong.
    const child = run(`const { Worker } = require('node:worker_threads');
      new Worker("const f = require('fs-ext'); const fd = require('fs').openSync('${probe}', 'a+'); f.flock(fd, 'ex', () => {}); setInterval(() => {}, 1000);", { eval: true });`);
    rmSync(probe, { force: true });
    // The callback comes back on the main thread's loop, into the thread's isolate: V8 aborts on
    // the misuse ("Entering the V8 API without proper locking", or, caught a step later, "Cannot
    // create a handle without a HandleScope"), or Node does inside node::MakeCallback (no
    // environment, or no creation context, for the callback), or, if the thread is gone by then,
    // a SIGSEGV. Which one depends on how far the thread got.
    expect(child.status).toBeNull();
    expect(child.signal).toMatch(/^SIG(ABRT|SEGV)$/);
    if (child.signal === 'SIGABRT') expect(child.stderr).toMatch(/Entering the V8 API without proper locking|Cannot create a handle without a HandleScope|node::MakeCallback/);
  });

  test('loading it in a second thread, after one exited, while the main thread has it loaded, kills the process', () => {
    const child = run(`const { Worker } = require('node:worker_threads');
      require('fs-ext');
      (async () => {
        for (let i = 0; i < 2; i++) await new Promise((resolve) => new Worker("require('fs-ext')", { eval: true }).once('exit', resolve));
        console.log('survived');
      })();`);
    // SIGSEGV here, SIGTRAP on some runs: the process dies of a signal either way.
    expect(child.status).toBeNull();
    expect(child.signal).toMatch(/^SIG(SEGV|TRAP|ABRT|BUS)$/);
    expect(child.stdout).not.toMatch(/survived/);
  });
});

describe('contend audit', () => {
  const contend = (...args: string[]) => spawnSync(process.execPath, ['dist/lib/cli/main.js', 'audit', ...args], { encoding: 'utf8', timeout: 120_000 });

  test('--json: the rows asked for, with versions, and every cell citing its test', () => {
    const r = contend('--libraries', 'steno,os-lock', '--properties', 'temp-unique,fd-close-safe,fsyncs-data', '--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { libraries: { label: string; version?: string }[]; cells: { library: string; property: string; verdict: string; evidence: string }[] };
    expect(report.libraries.map((l) => [l.label, l.version])).toEqual([
      ['steno', '4.0.2'],
      ['os-lock', '2.0.0'],
    ]);
    expect(report.cells.map((c) => [c.library, c.property, c.verdict])).toEqual([
      ['steno', 'temp-unique', 'no'],
      ['steno', 'fsyncs-data', 'no'],
      ['os-lock', 'fd-close-safe', 'no'],
    ]);
    expect(report.cells.map((c) => c.evidence)).toEqual([
      'cases/audit.test.ts › steno › concurrent saves',
      'cases/audit.test.ts › steno › fsyncs data',
      'cases/audit.test.ts › os-lock › survives other fd close',
    ]);
  }, 120_000);

  test('--markdown: a table per role, the legend and the evidence, for a README', () => {
    const r = contend('--libraries', 'npm-lockfile,atomically', '--properties', 'holder-killed,fsyncs-directory', '--markdown');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('| lock | version | holder SIGKILLed |');
    expect(r.stdout).toContain('| npm-lockfile | lockfile@1.0.4 | no |');
    expect(r.stdout).toContain('| npm-lockfile (staleMs=2000) | lockfile@1.0.4 | yes, ');
    expect(r.stdout).toContain('| atomically | atomically@2.1.1 | no |');
    expect(r.stdout).toContain('- **holder SIGKILLed** (`--properties holder-killed`): another contender gets the lock after its holder is SIGKILLed (and how soon).');
    expect(r.stdout).toContain('**not shown**: contend could not observe what decides it, and claims nothing');
    expect(r.stdout).toMatch(/- \*\*atomically · fsyncs directory: no\*\* — no fsync of <dir> after the rename \(`cases\/audit\.test\.ts › atomically › fsyncs directory`\)/);
  }, 120_000);

  test('a lock and a writer added from outside, by module: audited like the others, their cells not yet pinned', () => {
    const r = contend(
      '--lock-module', 'cases/fixtures/excl-lock.ts#ExclusiveFileLockAdapter',
      '--write-module', 'cases/fixtures/append-strategy.ts#SyncTruncate',
      '--libraries', 'excl,sync-truncate',
      '--properties', 'excludes-processes,holder-killed,no-torn-target',
      '--json',
    );
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { cells: { library: string; property: string; verdict: string; evidence: string }[] };
    expect(report.cells.map((c) => [c.library, c.property, c.verdict])).toEqual([
      ['excl', 'excludes-processes', 'yes'],
      ['excl', 'holder-killed', 'no'],
      ['sync-truncate', 'no-torn-target', 'no'],
    ]);
    for (const c of report.cells) expect(c.evidence).toMatch(/no test pins it yet: see doc\/audit\.md/);
  }, 120_000);

  // n/a is for a lock that refuses worker_threads (fs-ext); one that cannot be taken at all failed.
  test('a lock whose every attempt throws: its recovery cells are errors, not n/a', async () => {
    await registerLock({ module: new URL('./fixtures/faulty-locks.ts', import.meta.url).href, export: 'ExplodingLockAdapter' });
    try {
      const report = await runAudit({ libraries: ['exploding'], properties: ['holder-killed', 'thread-terminated'] });
      expect(report.cells.map((c) => [c.property, c.verdict, c.detail])).toEqual([
        ['holder-killed', 'error', 'the scenario failed: lock exploded'],
        ['thread-terminated', 'error', 'the scenario failed: lock exploded'],
      ]);
    } finally {
      unregisterLock('exploding');
    }
  });

  test('runAudit takes names as --libraries does, each its default rows', async () => {
    const report = await runAudit({ libraries: ['flock', { name: 'mutex', role: 'lock' }], properties: ['excludes-processes'] });
    expect(report.cells.map((c) => `${c.library} ${c.verdict}`)).toEqual(['flock yes', 'mutex no']);
  });

  test.each([
    [['--libraries', 'flock,nope'], 'contend: invalid libraries: "nope"; allowed: none, spinlock, mutex, flock, lockfile, fs-ext, os-lock, npm-lockfile, pg-advisory, pg-advisory-xact, redis-lease, redlock, etcd-lease, truncate,'],
    [['--properties', 'fast'], 'contend: invalid properties: "fast"; allowed: excludes-async, excludes-threads,'],
    // A property of writers asked of a lock alone: no cell could answer it, and no table is made.
    [['--properties', 'no-torn-target', '--libraries', 'flock'], 'contend: invalid properties: "no-torn-target"; allowed: one that applies to flock: excludes-async,'],
    [['--lock-options', '[]'], 'contend: invalid lock-options: "[]"; allowed: a JSON object'],
  ])('bad input %j: one line naming the allowed values, exit 2', (args, message) => {
    const r = contend(...args);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });
});
