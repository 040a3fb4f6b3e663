import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { recordIn, recordSave } from '../lib/powerloss/record.js';
import { loadWriteStrategy } from '../lib/writes/index.js';
import { JsonFileStore } from '../lib/index.js';
import { readFileSync } from 'node:fs';
import { crashStates, type FsImage, type LogicalOp } from '../lib/powerloss/model.js';
import { checkStates, defaultCheck, judgeStates } from '../lib/powerloss/judge.js';
import { runPowerloss } from '../lib/powerloss/run.js';
import { docBlock } from './support/docs.js';
import { makeDocument } from '../lib/writes/document.js';

// The crash-state model on its own, fed the logical operations each way of saving makes (as
// doc/strategies.md describes them): what a power cut can leave is the model's finding.

const TARGET = '/d/state.json';
const TEMP = '/d/state.json.tmp';
const OLD = makeDocument(80, 'old');
const NEW = makeDocument(120, 'new');
const initial = (): FsImage => ({ entries: new Map([[TARGET, 1]]), contents: new Map([[1, Buffer.from(OLD)]]), dirs: new Set(['/d']) });

const SAVES: Record<string, LogicalOp[]> = {
  truncate: [
    { op: 'truncate', inode: 1, size: 0 },
    { op: 'write', inode: 1, offset: 0, data: Buffer.from(NEW) },
  ],
  'rename, no fsync': [
    { op: 'create', path: TEMP, inode: 2 },
    { op: 'write', inode: 2, offset: 0, data: Buffer.from(NEW) },
    { op: 'rename', from: TEMP, to: TARGET },
  ],
  'data fsync, rename': [
    { op: 'create', path: TEMP, inode: 2 },
    { op: 'write', inode: 2, offset: 0, data: Buffer.from(NEW) },
    { op: 'fsync', inode: 2 },
    { op: 'rename', from: TEMP, to: TARGET },
  ],
  'data fsync, rename, directory fsync': [
    { op: 'create', path: TEMP, inode: 2 },
    { op: 'write', inode: 2, offset: 0, data: Buffer.from(NEW) },
    { op: 'fsync', inode: 2 },
    { op: 'rename', from: TEMP, to: TARGET },
    { op: 'fsync-dir', path: '/d' },
  ],
};

const badKinds = (name: string): string[] => {
  const ops = SAVES[name]!;
  const { states } = crashStates(initial(), ops);
  return [...new Set(judgeStates(states, ops.length, TARGET, OLD, NEW).flatMap((j) => (j.bad ? [j.bad] : [])))].sort();
};

describe('what a power cut can leave of one save', () => {
  test('the documents span several 4 KiB blocks, so that a write can persist in part', () => {
    expect(NEW.length).toBeGreaterThan(3 * 4096);
  });

  test('truncate: an empty or a torn target, and the acknowledged save lost', () => {
    expect(badKinds('truncate')).toEqual(['acknowledged save lost', 'empty', 'torn']);
  });

  test('rename without fsync: the rename persists before the data, leaving an empty or partial target', () => {
    expect(badKinds('rename, no fsync')).toEqual(['acknowledged save lost', 'empty', 'torn']);
  });

  test('data fsynced, directory not: never torn, but the rename can be undone after the save returned', () => {
    expect(badKinds('data fsync, rename')).toEqual(['acknowledged save lost']);
  });

  test('data and directory fsynced: no bad state', () => {
    expect(badKinds('data fsync, rename, directory fsync')).toEqual([]);
  });

  test('states are deduplicated and come in the same order every time', () => {
    const a = crashStates(initial(), SAVES['rename, no fsync']!);
    const b = crashStates(initial(), SAVES['rename, no fsync']!);
    expect(a.states.map((s) => [s.after, s.lost, s.partial])).toEqual(b.states.map((s) => [s.after, s.lost, s.partial]));
    const returned = SAVES['rename, no fsync']!.length;
    const keys = a.states.map((s) => `${s.after === returned}|${[...s.files].map(([p, c]) => `${p}:${c.toString('base64')}`).join('|')}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(a.tried).toBeGreaterThan(a.states.length);
  });

  test('an fsync makes the earlier writes of its file durable, and only those', () => {
    const ops: LogicalOp[] = [
      { op: 'write', inode: 1, offset: 0, data: Buffer.from('AAAA') },
      { op: 'fsync', inode: 1 },
      { op: 'write', inode: 1, offset: 4, data: Buffer.from('BBBB') },
    ];
    const image: FsImage = { entries: new Map([['/d/f', 1]]), contents: new Map([[1, Buffer.alloc(0)]]), dirs: new Set(['/d']) };
    const afterAll = crashStates(image, ops).states.filter((s) => s.after === 3).map((s) => s.files.get('/d/f')!.toString('latin1'));
    expect(afterAll.sort()).toEqual(['AAAA', 'AAAA\0\0\0\0', 'AAAABBBB']);
  });
});

describe("recorded from a write strategy's own fs calls", () => {
  const record = async (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'contend-powerloss-'));
    try {
      const target = join(dir, 'state.json');
      writeFileSync(target, OLD);
      const strategy = await loadWriteStrategy({ builtin: name });
      const recording = await recordSave(dir, () => strategy.save(target, NEW));
      const { states } = crashStates(recording.initial, recording.ops);
      const judged = judgeStates(states, recording.ops.length, target, OLD, NEW);
      return { recording, bad: [...new Set(judged.flatMap((j) => (j.bad ? [j.bad] : [])))].sort() };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  test('truncate: torn, empty, and the acknowledged save lost', async () => {
    const { recording, bad } = await record('truncate');
    expect(recording.ops.map((o) => o.op)).toEqual(['truncate', 'write', 'write', 'write'].slice(0, recording.ops.length));
    expect(bad).toEqual(['acknowledged save lost', 'empty', 'torn']);
  });

  test('atomic (temp file, fsync, rename; no directory fsync): never torn, but the rename can be undone after the save returned', async () => {
    const { recording, bad } = await record('atomic');
    expect(recording.ops.map((o) => o.op)).toEqual(expect.arrayContaining(['create', 'write', 'fsync', 'rename']));
    expect(bad).toEqual(['acknowledged save lost']);
  });

  test('atomic-sync (then sync(1), which flushes every file system): no bad state', async () => {
    const { recording, bad } = await record('atomic-sync');
    expect(recording.ops.at(-1)).toEqual({ op: 'sync' });
    expect(bad).toEqual([]);
  });

  test('atomic-dirsync: no bad state; the directory fsync is recorded as such', async () => {
    const { recording, bad } = await record('atomic-dirsync');
    expect(recording.ops.at(-1)).toEqual({ op: 'fsync-dir', path: expect.stringMatching(/contend-powerloss-/) });
    expect(bad).toEqual([]);
    expect(recording.unseen).toEqual([]);
  });
});

test.each(['truncate', 'atomic-dirsync', 'write-file-atomic'])('%s: an async task, a worker_thread and a child process record the same operations', async (name) => {
  const shapes: string[][] = [];
  for (const kind of ['async', 'thread', 'process'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'contend-powerloss-'));
    try {
      const target = join(dir, 'state.json');
      writeFileSync(target, OLD);
      const recording = await recordIn(kind, { subject: { strategy: { builtin: name }, target, data: NEW }, dir }, name, 30_000);
      // Temporary names carry the pid or a random part: the shape of each operation is what must agree.
      shapes.push(recording.ops.map((op) => (op.op === 'write' ? `write ${op.data.length} at ${op.offset}` : op.op === 'truncate' ? `truncate to ${op.size}` : op.op)));
      const { states } = crashStates(recording.initial, recording.ops);
      expect(states.length).toBeGreaterThan(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  expect(shapes[0]!.length).toBeGreaterThan(1);
  expect(shapes[1]).toEqual(shapes[0]);
  expect(shapes[2]).toEqual(shapes[0]);
});

test.each<[string | undefined, string[]]>([
  [undefined, []],
  ['atomic', ['acknowledged save lost']],
])('JsonFileStore.put with %s: what a power cut can leave of a returned put', async (write, expected) => {
  const dir = mkdtempSync(join(tmpdir(), 'contend-powerloss-'));
  try {
    const path = join(dir, 'store.json');
    const store = await JsonFileStore.open(path, write ? { write } : {});
    try {
      await store.put('a', { sequence: 1, note: 'x'.repeat(9000) });
      const before = readFileSync(path, 'utf8');
      const recording = await recordSave(dir, () => store.put('a', { sequence: 2, note: 'y'.repeat(9000) }));
      const after = readFileSync(path, 'utf8');
      const { states } = crashStates(recording.initial, recording.ops);
      const bad = judgeStates(states, recording.ops.length, path, before, after).flatMap((j) => (j.bad ? [j.bad] : []));
      expect([...new Set(bad)].sort()).toEqual(expected);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const OPS = './cases/fixtures/powerloss-ops.ts';
const OPS_EXPORTS = 'appendLine, failingSave, judgedByNothing, misnamedTarget, neverReturns, parses, savedByAnotherProgram, storePutAtomic, storePutDefault, writevInPlace';
const contend = (...args: string[]) => spawnSync(process.execPath, [join(process.cwd(), 'dist/lib/cli/main.js'), 'powerloss', ...args], { encoding: 'utf8', timeout: 120_000 });
type Rows = { rows: { writer: string; durable: boolean; operations: number; bad: Record<string, number>; shortest: Record<string, string>; unseen: string[]; unaccounted: string[] }[]; failed: boolean };

describe('saves of your own (--ops)', () => {
  test.each(['async', 'thread', 'process'])('JsonFileStore.put, recorded in %s: its default strategy leaves no bad state, atomic loses a returned put; a check of its own names its kinds', (kind) => {
    const r = contend('--ops', `${OPS}#storePutDefault`, '--ops', `${OPS}#storePutAtomic`, '--ops', `${OPS}#appendLine`, '--kind', kind, '--json');
    const report = JSON.parse(r.stdout) as Rows;
    expect(report.rows.map((row) => [row.writer, row.durable, Object.keys(row.bad).sort()])).toEqual([
      ['store-put', true, []],
      ['store-put-atomic', true, ['acknowledged save lost']],
      ['append-line', false, ['garbage appended', 'line lost']],
    ]);
    expect(report.rows[1]!.shortest['acknowledged save lost']).toMatch(/fsync #\d+; rename <dir>\/store\.json\.[^ ]+ → <dir>\/store\.json \(lost\); power cut after the save returned$/);
    // store-put-atomic claims durability and loses a returned put.
    expect(report.failed).toBe(true);
    expect(r.status).toBe(1);
  });

  test("doc/powerloss.md's settings: the plain save fails (torn, empty, a returned save lost), the durable one passes", () => {
    const dir = mkdtempSync(join(tmpdir(), 'contend-powerloss-doc-'));
    try {
      writeFileSync(join(dir, 'save-settings.ts'), docBlock('doc/powerloss.md', 'save-settings.ts'));
      writeFileSync(join(dir, 'save-with-checksum.ts'), docBlock('doc/powerloss.md', 'save-with-checksum.ts'));
      const run = (...args: string[]) => spawnSync(process.execPath, [join(process.cwd(), 'dist/lib/cli/main.js'), 'powerloss', ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
      const plain = run('--ops', './save-settings.ts#saveSettings');
      expect(plain.stdout).toMatch(/^save-settings +yes +3 +\d+ +[1-9]\d* +[1-9]\d* +0 +[1-9]\d*$/m);
      expect(plain.stdout).toMatch(/^ {2}save-settings · empty: create <dir>\/settings\.json\.tmp; write \d+ B at 0 of #2 \(lost\); rename <dir>\/settings\.json\.tmp → <dir>\/settings\.json; power cut after the save returned$/m);
      expect(plain.status).toBe(1);
      const durable = run('--ops', './save-settings.ts#saveSettingsDurably');
      expect(durable.stdout).toMatch(/^PASS: no writer that claims durability loses or tears a save$/m);
      expect(durable.status, durable.stderr).toBe(0);
      const pair = run('--ops', './save-with-checksum.ts#saveWithChecksum', '--json');
      const row = (JSON.parse(pair.stdout) as Rows).rows[0]!;
      expect(Object.keys(row.bad)).toEqual(['checksum does not match']);
      expect(row.shortest['checksum does not match']).toMatch(/fsync #\d+; rename <dir>\/data\.json\.tmp → <dir>\/data\.json; power cut$/);
      expect(pair.status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a save made by another program: not judged, and a writer that claims durability fails with the reason', () => {
    const r = contend('--ops', `${OPS}#savedByAnotherProgram`);
    expect(r.stdout).toMatch(/^saved-by-another-program +yes +0 +1 +- +- +- +-$/m);
    expect(r.stdout).toContain('saved-by-another-program: cannot be judged: the recorded operations do not give state.json as the save left it');
    expect(r.status).toBe(1);
  });

  test('writev is recorded: one write of its buffers, in place, which a cut can tear', () => {
    const row = (JSON.parse(contend('--ops', `${OPS}#writevInPlace`, '--json').stdout) as Rows).rows[0]!;
    expect(row).toMatchObject({ operations: 2, unseen: [], unaccounted: [] });
    expect(Object.keys(row.bad).sort()).toEqual(['acknowledged save lost', 'empty', 'torn']);
    expect(row.shortest.torn).toMatch(/^truncate #1 to 0; write 6016 B at 0 of #1 \(first 4096 B only\)/);
  });

  test.each([
    [['--ops', `${OPS}#judgedByNothing`], `contend: not an adapter: ${OPS}#judgedByNothing: give a target (for the default check) or a check of your own`],
    [['--ops', `${OPS}#nothingHere`], `contend: no export "nothingHere" in ops module ${OPS}; it exports ${OPS_EXPORTS}`],
    [['--ops', './cases/fixtures/no-such-file.ts#x'], /^contend: cannot import --ops \.\/cases\/fixtures\/no-such-file\.ts: there is no file /],
    [['--check', `${OPS}#storePutDefault`], `contend: not a check: ${OPS}#storePutDefault: no function exported under that name`],
    [['--check', `${OPS}#noSuchCheck`], `contend: no export "noSuchCheck" in check module ${OPS}; it exports ${OPS_EXPORTS}`],
    [['--check', 'no-hash'], /^contend: invalid check: "no-hash"; allowed: MODULE#EXPORT/],
    [['--dir', './cases/fixtures/no-such-dir'], 'contend: invalid dir: "./cases/fixtures/no-such-dir"; allowed: an existing directory where files can be written'],
    [['--dir', './README.md'], /^contend: invalid dir: "\.\/README\.md" \(\S+README\.md is not a directory\); allowed: an existing directory where files can be written$/],
    [['--ops', `${OPS}#parses`], `contend: not an adapter: ${OPS}#parses: the export is a function, not an object`],
  ])('bad input %j: one line, exit 2, before any save', (args, message) => {
    const r = contend(...args);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(2);
  });

  test.each([['./save-settings.ts#saveSettings'], [42]])('runPowerloss({ ops: [%j] }): refused, saying how operations are given', async (given) => {
    await expect(runPowerloss({ ops: [given as string] })).rejects.toThrow(`invalid ops: ${JSON.stringify(given)}; allowed: operations of your own as { module: './save.ts', export: 'save' }, or their name once registered`);
  });

  // The recording names files by absolute path; a relative --dir once matched none of them, and
  // every state of every save was judged as if the target were missing.
  test('a directory given relative to the working directory judges as an absolute one does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'contend-powerloss-base-'));
    try {
      const bad = async (given: string) => (await runPowerloss({ strategies: ['atomic', 'atomic-dirsync'], dir: given })).rows.map((r) => [r.writer, r.bad]);
      const absolute = await bad(dir);
      expect(absolute).toEqual([['atomic', { 'acknowledged save lost': expect.any(Number) }], ['atomic-dirsync', {}]]);
      expect(await bad(relative(process.cwd(), dir))).toEqual(absolute);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a target that is there neither before the save nor after it: an error, not a pass with nothing judged', async () => {
    await expect(runPowerloss({ ops: [{ module: OPS, export: 'misnamedTarget' }] })).rejects.toMatchObject({
      code: 'E_NOT_SAVED',
      message: "misnamed-target's target setings.json is there neither before its save nor after it: the default check has nothing to judge (is the name right?)",
    });
    const r = contend('--ops', `${OPS}#misnamedTarget`);
    expect(r.stderr).toBe("contend: misnamed-target's target setings.json is there neither before its save nor after it: the default check has nothing to judge (is the name right?)\n");
    expect(r.status).toBe(1);
  });

  test.each(['async', 'thread', 'process'])('a save that never returns (%s): exit 1 after --save-timeout-ms, saying so, its recorder ended', (kind) => {
    const r = contend('--ops', `${OPS}#neverReturns`, '--kind', kind, '--save-timeout-ms', '500');
    expect(r.stderr).toBe(`contend: never-returns: recording its save (the recorder's start, the module's load, setup and the save) did not end within 500 ms${kind === 'async' ? '; the save runs on in this process' : ''}\n`);
    expect(r.status).toBe(1);
  });

  test.each(['async', 'thread', 'process'])('a save that throws (%s): exit 1 with its name, message and place, and nothing left in the directory given', (kind) => {
    const dir = mkdtempSync(join(tmpdir(), 'contend-powerloss-base-'));
    try {
      const r = contend('--ops', `${OPS}#failingSave`, '--kind', kind, '--dir', dir);
      const line = readFileSync(OPS, 'utf8').split('\n').findIndex((l) => l.includes("'disk full, pretend'")) + 1;
      expect(r.stderr).toBe(`contend: failing-save failed while recorded: Error: disk full, pretend (at cases/fixtures/powerloss-ops.ts:${line}:11)\n`);
      expect(r.status).toBe(1);
      expect(readdirSync(dir)).toEqual([]);
      // And after a run that passes, too.
      expect(contend('--strategies', 'atomic-dirsync', '--kind', kind, '--dir', dir).status).toBe(0);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('two runs give the same rows: the same states, counted the same, the same roads', async () => {
    const strip = (r: Awaited<ReturnType<typeof runPowerloss>>) => r.rows.map(({ ms: _m, recordMs: _r, ...row }) => row);
    const options = { strategies: ['truncate', 'steno', 'atomic-dirsync'], ops: [{ module: new URL('./fixtures/powerloss-ops.ts', import.meta.url).href, export: 'appendLine' }] };
    const first = strip(await runPowerloss(options));
    expect(first.map((r) => r.states).every((n) => n > 1)).toBe(true);
    expect(strip(await runPowerloss(options))).toEqual(first);
  });

  test('the library checks its options before any save', async () => {
    await expect(runPowerloss({ ops: [] })).rejects.toThrow(/invalid ops: \[\]; allowed: a non-empty list/);
    await expect(runPowerloss({ check: 'parses' as never })).rejects.toThrow(/invalid check: "parses"; allowed: a function/);
    await expect(runPowerloss({ strategies: ['truncate'], kind: 'fibre' as never })).rejects.toThrow(/invalid kind: "fibre"; allowed: async, thread, process/);
  });

  test('a check runs on each state written out in a directory: the default check there agrees with the model in memory, state by state', async () => {
    const ops = SAVES['rename, no fsync']!;
    const { states } = crashStates(initial(), ops);
    const scratch = mkdtempSync(join(tmpdir(), 'contend-powerloss-state-'));
    try {
      const onDisk = await checkStates(states, ops.length, { from: '/d', scratch, check: defaultCheck, context: { target: TARGET, before: OLD, after: NEW } });
      expect(onDisk.map((j) => j.bad)).toEqual(judgeStates(states, ops.length, TARGET, OLD, NEW).map((j) => j.bad));
      expect(onDisk.filter((j) => j.bad).length).toBeGreaterThan(0);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('contend powerloss', () => {
  test('every built-in strategy: the table, the shortest road to each bad state, exit 0 since no strategy that claims durability fails', () => {
    const r = contend('--json');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { rows: { writer: string; durable: boolean; bad: Record<string, number>; shortest: Record<string, string> }[] };
    const row = (name: string) => report.rows.find((x) => x.writer === name)!;
    expect(Object.keys(row('truncate').bad).sort()).toEqual(['acknowledged save lost', 'empty', 'torn']);
    expect(row('truncate').shortest.empty).toBe('truncate #1 to 0; power cut');
    for (const name of ['write-file-atomic', 'atomically', 'conf', 'atomic']) expect(Object.keys(row(name).bad), name).toEqual(['acknowledged save lost']);
    for (const name of ['atomic-sync', 'atomic-dirsync']) expect(row(name)).toMatchObject({ durable: true, bad: {} });
  });

  test('a strategy that claims durability and loses a save: FAIL, exit 1', () => {
    const r = contend('--write-module', './cases/fixtures/durable-liar.ts#DurableLiar', '--strategies', 'durable-liar,atomic-dirsync');
    expect(r.stdout).toMatch(/^durable-liar +yes +3 +\d+ +[1-9]/m);
    expect(r.stdout).toMatch(/^FAIL: a writer that claims durability loses or tears a save, or cannot be judged$/m);
    expect(r.status).toBe(1);
  });

  test('recorded in child processes, the same verdicts', () => {
    const r = contend('--kind', 'process', '--strategies', 'truncate,atomic-dirsync', '--json');
    expect(r.status, r.stderr).toBe(0);
    const rows = (JSON.parse(r.stdout) as { rows: { writer: string; bad: Record<string, number> }[] }).rows;
    expect(rows.map((row) => [row.writer, Object.keys(row.bad).sort()])).toEqual([
      ['truncate', ['acknowledged save lost', 'empty', 'torn']],
      ['atomic-dirsync', []],
    ]);
  });

  test('a check of your own for every strategy (--check): its own kind of bad state; operations with a check keep theirs', () => {
    const r = contend('--strategies', 'truncate,atomic-dirsync', '--check', './cases/fixtures/powerloss-ops.ts#parses', '--ops', `${OPS}#appendLine`, '--json');
    expect(r.status, r.stderr).toBe(0);
    const rows = (JSON.parse(r.stdout) as { rows: { writer: string; bad: Record<string, number> }[] }).rows;
    expect(rows.map((row) => [row.writer, Object.keys(row.bad).sort()])).toEqual([
      ['truncate', ['does not parse']],
      ['atomic-dirsync', []],
      ['append-line', ['garbage appended', 'line lost']],
    ]);
  });

  test('an unknown kind: exit 2', () => {
    const r = contend('--kind', 'fibre');
    expect(r.stderr.trim()).toBe('contend: invalid kind: "fibre"; allowed: async, thread, process');
    expect(r.status).toBe(2);
  });

  test('an unknown strategy: one line naming the allowed ones, exit 2', () => {
    const r = contend('--strategies', 'nope');
    expect(r.stderr).toMatch(/^contend: invalid strategy: "nope"; allowed: truncate, atomic/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.status).toBe(2);
  });
});
