import { spawnSync } from 'node:child_process';
import fs, { mkdtempSync, rmSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { registerWriteStrategy, unregisterWriteStrategy, type FsStep } from '../lib/index.js';
import { crashPoints } from '../lib/stress/crashpoints.js';
import { traceDurability } from '../lib/stress/durability.js';
import { analyzeDurability } from '../lib/stress/durability.js';
import { withStepHook } from '../lib/writes/trace.js';
import { runPowerloss } from '../lib/powerloss/run.js';

describe('what each built-in strategy fsyncs, read off its traced calls', () => {
  test.each([
    ['truncate', { renames: false, fsyncsData: false, fsyncsDirectory: false }],
    ['atomic', { renames: true, fsyncsData: true, fsyncsDirectory: false }],
    ['atomic-dirsync', { renames: true, fsyncsData: true, fsyncsDirectory: true }],
    ['atomic-sync', { renames: true, fsyncsData: true, fsyncsDirectory: true }],
    ['fixed-temp', { renames: true, fsyncsData: false, fsyncsDirectory: false }],
    // write-file-atomic fsyncs the temp file but never the directory: its rename can be lost to a power cut.
    ['write-file-atomic', { renames: true, fsyncsData: true, fsyncsDirectory: false }],
  ])('%s', async (strategy, expected) => {
    const d = await traceDurability(strategy);
    expect({ renames: d.renames, fsyncsData: d.fsyncsData, fsyncsDirectory: d.fsyncsDirectory }).toEqual(expected);
    if (d.fsyncsData) expect(d.evidence.data).toMatch(/^step \d+: (fsync|fdatasync|sync) /);
    if (d.fsyncsDirectory) expect(d.evidence.directory).toMatch(/^step \d+: (fsync <dir>$|sync )/);
  });
});

test('a strategy whose calls the trace cannot see gets no verdict, rather than a false "no fsync"', async () => {
  await registerWriteStrategy({ module: new URL('./fixtures/tee-strategy.ts', import.meta.url).href, export: 'TeeStrategy' });
  try {
    await expect(traceDurability('tee')).rejects.toMatchObject({ code: 'E_UNTRACED' });
  } finally {
    unregisterWriteStrategy('tee');
  }
});

test('a save that writes nothing is said plainly, by durability, crash points and power loss alike', async () => {
  await registerWriteStrategy({ module: new URL('./fixtures/env-strategies.ts', import.meta.url).href, export: 'NoOp' });
  try {
    const plainly = { code: 'E_NOT_SAVED', message: 'no-op returned from its save, but the target holds the old document still: the save did not write the target' };
    await expect(traceDurability('no-op')).rejects.toMatchObject(plainly);
    await expect(crashPoints({ strategy: 'no-op', items: 10 })).rejects.toMatchObject(plainly);
    // Each of its states holds the old document, as before the save: none is bad, and it was no save.
    await expect(runPowerloss({ strategies: ['no-op'] })).rejects.toMatchObject(plainly);
  } finally {
    unregisterWriteStrategy('no-op');
  }
});

test('crash points refuse a save the trace cannot see, rather than show a table of no kills that reads as safe', async () => {
  await registerWriteStrategy({ module: new URL('./fixtures/tee-strategy.ts', import.meta.url).href, export: 'TeeStrategy' });
  try {
    await expect(crashPoints({ strategy: 'tee', items: 10 })).rejects.toMatchObject({ code: 'E_UNTRACED' });
  } finally {
    unregisterWriteStrategy('tee');
  }
});

test.each([
  ['durability', '--strategies', 'broken'],
  ['stress', '--strategies', 'broken', '--scenarios', 'interrupted', '--trials', '1'],
])('a save that throws is one line (%s): its message and the line of the user\'s file it came from', (...args) => {
  const r = spawnSync(process.execPath, ['dist/lib/cli/main.js', ...args, '--write-module', 'cases/fixtures/env-strategies.ts#Broken'], { encoding: 'utf8' });
  const fixture = join(process.cwd(), 'cases/fixtures/env-strategies.ts');
  const lines = fs.readFileSync(fixture, 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes("throw new Error('this strategy is broken')"));
  // Said as a fault report says it: the file below the working directory, its line and column.
  // stress says the strategy it starts on, as its progress, before the failure.
  expect(r.stderr.replace(/^broken: interrupted\n/, '')).toBe(`contend: broken failed: this strategy is broken (at cases/fixtures/env-strategies.ts:${line + 1}:${lines[line]!.indexOf('new Error') + 1})\n`);
  expect(r.status).toBe(1);
});

test('a strategy of the user\'s that keeps fs functions from when it loads is traced: its steps are seen', () => {
  const r = spawnSync(process.execPath, ['dist/lib/cli/main.js', 'durability', '--write-module', 'cases/fixtures/captured-fs-strategy.ts#CapturedFsStrategy', '--strategies', 'captured-fs', '--json'], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const [result] = JSON.parse(r.stdout) as { steps: { op: string }[]; renames: boolean }[];
  expect(result!.steps.map((s) => s.op)).toEqual(['writeFile', 'rename']);
  expect(result!.renames).toBe(true);
});

describe('analyzeDurability', () => {
  const target = '/d/state.json';
  test('a global sync after the rename makes the rename durable, but the data was relied on before it was flushed', () => {
    const d = analyzeDurability('x', [
      { op: 'open', detail: '/d/state.json.tmp (w)' },
      { op: 'write', detail: '10 B to /d/state.json.tmp' },
      { op: 'close', detail: '/d/state.json.tmp' },
      { op: 'rename', detail: '/d/state.json.tmp → /d/state.json' },
      { op: 'sync', detail: 'all file systems' },
    ], target);
    expect(d).toMatchObject({ renames: true, fsyncsData: false, fsyncsDirectory: true });
    expect(d.evidence.data).toBe('no fsync of /d/state.json.tmp before the rename (step 4: rename /d/state.json.tmp → /d/state.json); flushed only after it, step 5: sync all file systems');
  });

  test('an fsync of another file or directory does not count', () => {
    const d = analyzeDurability('x', [
      { op: 'fsync', detail: '/d/other.tmp' },
      { op: 'rename', detail: '/d/state.json.tmp → /d/state.json' },
      { op: 'fsync', detail: '/elsewhere' },
    ], target);
    expect(d).toMatchObject({ fsyncsData: false, fsyncsDirectory: false });
  });

  test('an in-place writer that fsyncs the target is durable without a rename', () => {
    const d = analyzeDurability('x', [
      { op: 'open', detail: '/d/state.json (w)' },
      { op: 'write', detail: '10 B to /d/state.json' },
      { op: 'fsync', detail: '/d/state.json' },
    ], target);
    expect(d).toMatchObject({ renames: false, fsyncsData: true, fsyncsDirectory: false });
  });
});

describe('contend durability', () => {
  const contend = (...args: string[]) => spawnSync(process.execPath, ['dist/lib/cli/main.js', 'durability', ...args], { encoding: 'utf8', timeout: 60_000 });

  test('--json gives every strategy with its steps and evidence', () => {
    const r = contend('--strategies', 'atomic-dirsync,fixed-temp', '--json');
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as { strategy: string; fsyncsDirectory: boolean; steps: { op: string }[] }[];
    expect(rows.map((x) => [x.strategy, x.fsyncsDirectory])).toEqual([['atomic-dirsync', true], ['fixed-temp', false]]);
    expect(rows[0]!.steps.map((s) => s.op)).toEqual(['open', 'write', 'fsync', 'close', 'rename', 'open', 'fsync', 'close']);
  });

  test('an unknown strategy: one line naming the allowed ones, exit status 2', () => {
    const r = contend('--strategies', 'atomic,nope');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('invalid strategy: "nope"; allowed: truncate, atomic,');
  });
});

describe('the traced fs', () => {
  test('keeps what util.promisify reads: promisify(fs.write) still resolves to { bytesWritten, buffer }', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'contend-trace-'));
    try {
      const fd = fs.openSync(join(dir, 'f'), 'w');
      const result = await promisify(fs.write)(fd, Buffer.from('abc'), 0, 3, 0);
      fs.closeSync(fd);
      expect(result).toMatchObject({ bytesWritten: 3 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('sees the methods of a FileHandle opened through fs/promises (its close too, a field of each handle), so its sync counts as the data fsync', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'contend-trace-'));
    try {
      const steps: FsStep[] = [];
      await withStepHook(
        (s) => void steps.push({ op: s.op, detail: s.detail.split(dir).join('<dir>') }),
        async () => {
          const handle = await open(join(dir, 'state.json.tmp'), 'w');
          await handle.writeFile('{}');
          await handle.sync();
          await handle.close();
          await rename(join(dir, 'state.json.tmp'), join(dir, 'state.json'));
        },
      );
      expect(steps.map((s) => s.op)).toEqual(['open', 'writeFile', 'fsync', 'close', 'rename']);
      expect(analyzeDurability('handle', steps, '<dir>/state.json')).toMatchObject({ fsyncsData: true, fsyncsDirectory: false });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Nothing else to wait for, and a promise nothing settles: Node would end with status 13, silently.
test('a save that never returns: the command says the run stopped, exit 1', () => {
  const r = spawnSync(process.execPath, ['dist/lib/cli/main.js', 'durability', '--write-module', './cases/fixtures/env-strategies.ts#NeverReturns', '--strategies', 'never-returns'], { encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe(
    'contend: the run stopped before its end: it awaits something that will never settle (a save, a lock call or a check of yours that returns a promise nothing resolves, with nothing else to wait for)\n',
  );
  expect(r.status).toBe(1);
  // With --json, the same end is a document to read.
  const json = spawnSync(process.execPath, ['dist/lib/cli/main.js', 'durability', '--write-module', './cases/fixtures/env-strategies.ts#NeverReturns', '--strategies', 'never-returns', '--json'], { encoding: 'utf8', timeout: 60_000 });
  expect(JSON.parse(json.stdout)).toEqual({ error: { code: 'E_STALLED', message: expect.stringMatching(/^the run stopped before its end: /) } });
  expect(json.status).toBe(1);
});
