import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { docBlock } from './support/docs.js';

// contend as a user meets it: the packed tarball installed into a project of their own, with the
// README's test file and doc/adapters.md's adapter copied out of the documents themselves. The
// project is CommonJS (no "type"), the harder case for an ES module package and a .ts adapter.

const root = process.cwd();
let dir: string;
let project: string;

const run = (command: string, args: string[], cwd = project, timeout = 240_000): SpawnSyncReturns<string> =>
  spawnSync(command, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, npm_config_update_notifier: 'false' } });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'contend-package-'));
  project = join(dir, 'project');
  mkdirSync(project);
  // The build is there already (the suite's global setup): no prepare script again.
  const pack = run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], root);
  expect(pack.status, pack.stderr).toBe(0);
  const tarball = join(dir, pack.stdout.trim().split('\n').at(-1)!);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
  const vitest = JSON.parse(readFileSync(join(root, 'node_modules/vitest/package.json'), 'utf8')).version as string;
  // From npm's cache where it can: the suite's own install put every package there.
  const install = run('npm', ['install', '-D', '--no-audit', '--no-fund', '--prefer-offline', tarball, `vitest@${vitest}`]);
  expect(install.status, install.stderr).toBe(0);
  writeFileSync(join(project, 'contend.test.ts'), docBlock('README.md', 'contend.test.ts'));
  writeFileSync(join(project, 'excl-lock.ts'), docBlock('doc/adapters.md', 'excl-lock.ts'));
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the packed package in a project of its own', () => {
  test("the README's test file passes there, with doc/adapters.md's .ts adapter", () => {
    const r = run(join(project, 'node_modules/.bin/vitest'), ['run']);
    // eslint-disable-next-line no-control-regex
    expect((r.stdout + r.stderr).replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/Tests\s+2 passed \(2\)/);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  }, 120_000);

  test('a failing expectation there prints the replay literal with the adapter file', () => {
    writeFileSync(join(project, 'liar.test.ts'), docBlock('README.md', 'contend.test.ts').replace('toBeRaceFree()', 'toShowRace()').replace(/test\('processes[\s\S]*?\n}\);\n/, ''));
    try {
      const r = run(join(project, 'node_modules/.bin/vitest'), ['run', 'liar.test.ts']);
      expect(r.status).toBe(1);
      expect(r.stdout + r.stderr).toContain(`"lock":{"module":"${join(project, 'excl-lock.ts')}","export":"ExclusiveFileLockAdapter"}`);
    } finally {
      rmSync(join(project, 'liar.test.ts'));
    }
  }, 120_000);

  test('its types check without the optional peers, library files included (skipLibCheck off), and under the strictest settings', () => {
    // Every entry a user may import; none of pg, ioredis, etcd3, vega… is installed in the project.
    const entries = ['contend', 'contend/writes', 'contend/audit', 'contend/workload', 'contend/fuzz', 'contend/explore', 'contend/powerloss', 'contend/vitest'];
    // And what a user of the strictest settings writes: lists kept as constants, options that may be
    // undefined, the built-in locks' options and the error classes by name.
    const usage = `import { runMatrix, runCase, MissingServerError, ServerTimeoutError, type CaseOptions, type FlockOptions, type ResolvedCase } from 'contend';
import { explore, type ExploreOptions } from 'contend/explore';
import { RecordingTimeout } from 'contend/powerloss';
const KINDS = ['thread', 'process'] as const;
const LOCKS = ['none', 'flock'] as const;
export const matrix = () => runMatrix({ kinds: KINDS, locks: LOCKS, workers: process.env.W ? Number(process.env.W) : undefined });
const maybeSeed: number | undefined = undefined;
const options: CaseOptions = { kind: 'async', lock: 'flock', seed: maybeSeed, lockOptions: { maxPollMs: 5 } satisfies Partial<FlockOptions> };
export const one = async (): Promise<ResolvedCase['kind']> => (await runCase(options)).case.kind;
const search: ExploreOptions = { lock: 'flock', depth: undefined, dir: process.env.DIR };
export const explored = () => explore(search);
export const classes = [MissingServerError, ServerTimeoutError, RecordingTimeout];
`;
    writeFileSync(join(project, 'entries.ts'), entries.map((e, i) => `import * as e${i} from '${e}';\n`).join('') + `export const all = [${entries.map((_, i) => `e${i}`).join(', ')}];\n` + usage);
    const config = {
      compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, noEmit: true, skipLibCheck: false, types: ['node'], typeRoots: [join(root, 'node_modules/@types')] },
      files: ['entries.ts'],
    };
    writeFileSync(join(project, 'tsconfig.entries.json'), JSON.stringify(config));
    // A project that names no global types (the default of TypeScript 6 and later): contend's own
    // declarations bring Node's, which they are written against.
    writeFileSync(join(project, 'imports-only.ts'), entries.map((e, i) => `import * as e${i} from '${e}';\n`).join('') + `export const all = [${entries.map((_, i) => `e${i}`).join(', ')}];\n`);
    writeFileSync(join(project, 'tsconfig.no-types.json'), JSON.stringify({ compilerOptions: { ...config.compilerOptions, types: [] }, files: ['imports-only.ts'] }));
    try {
      const r = run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.entries.json']);
      expect(r.stdout + r.stderr).toBe('');
      expect(r.status).toBe(0);
      const bare = run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.no-types.json']);
      expect(bare.stdout + bare.stderr).toBe('');
      expect(bare.status).toBe(0);
    } finally {
      for (const file of ['entries.ts', 'tsconfig.entries.json', 'imports-only.ts', 'tsconfig.no-types.json']) rmSync(join(project, file));
    }
  }, 120_000);

  test('require() works, and importing contend leaves fs as it was', () => {
    const script = [
      "const fs = require('node:fs');",
      'const before = [fs.writeFileSync, fs.rename, fs.promises.writeFile];',
      "const contend = require('contend');",
      'const after = [fs.writeFileSync, fs.rename, fs.promises.writeFile];',
      "const explore = require('contend/explore');",
      'const afterAll = [fs.writeFileSync, fs.rename, fs.promises.writeFile];',
      "console.log(JSON.stringify({ same: before.every((f, i) => f === after[i] && f === afterAll[i]), runCase: typeof contend.runCase, audit: typeof require('contend/audit').runAudit, matchers: typeof require('contend/vitest'), explore: typeof explore.explore }));",
    ].join('\n');
    const r = run(process.execPath, ['-e', script]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ same: true, runCase: 'function', audit: 'function', matchers: 'object', explore: 'function' });
  });

  test("contend explore there: doc/explore.md's counter loses an update alone and keeps every one under flock; doc/adapters.md's lock holds", () => {
    writeFileSync(join(project, 'counter.ts'), docBlock('doc/explore.md', 'counter.ts'));
    const contend = join(project, 'node_modules/.bin/contend');
    const lost = run(contend, ['explore', '--ops', './counter.ts#increment', '--kind', 'process']);
    expect(lost.stdout).toMatch(/^FAIL: lost update, in \d+ steps with 1 preemption:$/m);
    expect(lost.status).toBe(1);
    const kept = run(contend, ['explore', '--ops', './counter.ts#lockedIncrement', '--lock', 'flock', '--kind', 'thread']);
    expect(kept.stdout).toMatch(/^PASS: no forbidden outcome in any schedule within the bound$/m);
    expect(kept.status, kept.stderr).toBe(0);
    const lock = run(contend, ['explore', '--lock-module', './excl-lock.ts#ExclusiveFileLockAdapter', '--kind', 'process']);
    expect(lock.stdout).toMatch(/^explored excl with 2 process actors \(dfs\)/);
    expect(lock.status, lock.stderr).toBe(0);
  }, 120_000);

  test("contend powerloss there: doc/powerloss.md's plain save fails, its durable one passes, and its test file passes", () => {
    writeFileSync(join(project, 'save-settings.ts'), docBlock('doc/powerloss.md', 'save-settings.ts'));
    writeFileSync(join(project, 'settings.test.ts'), docBlock('doc/powerloss.md', 'settings.test.ts'));
    try {
      const contend = join(project, 'node_modules/.bin/contend');
      const plain = run(contend, ['powerloss', '--ops', './save-settings.ts#saveSettings', '--kind', 'process']);
      expect(plain.stdout).toMatch(/^FAIL: a writer that claims durability loses or tears a save, or cannot be judged$/m);
      expect(plain.status).toBe(1);
      const durable = run(contend, ['powerloss', '--ops', './save-settings.ts#saveSettingsDurably', '--kind', 'thread']);
      expect(durable.stdout).toMatch(/^PASS: no writer that claims durability loses or tears a save$/m);
      expect(durable.status, durable.stderr).toBe(0);
      const test = run(join(project, 'node_modules/.bin/vitest'), ['run', 'settings.test.ts']);
      // eslint-disable-next-line no-control-regex
      expect((test.stdout + test.stderr).replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/Tests\s+1 passed \(1\)/);
      expect(test.status, test.stdout + test.stderr).toBe(0);
    } finally {
      rmSync(join(project, 'settings.test.ts'));
    }
  }, 120_000);

  test('what testing your own lock installs: no audited library, no plotting stack, nothing built', () => {
    const installed = readdirSync(join(project, 'node_modules'));
    for (const peer of ['fs-ext', 'os-lock', 'lockfile', 'write-file-atomic', 'atomically', 'steno', 'lowdb', 'conf', 'vega', 'vega-lite', 'pg', 'ioredis', 'etcd3', '@sesamecare-oss']) {
      expect(installed).not.toContain(peer);
    }
    // A package with a binding.gyp is built by node-gyp on install; the kernel locks come prebuilt.
    const packages = installed
      .filter((name) => !name.startsWith('.'))
      .flatMap((name) => (name.startsWith('@') ? readdirSync(join(project, 'node_modules', name)).map((inner) => `${name}/${inner}`) : [name]));
    expect(packages.filter((name) => readdirSync(join(project, 'node_modules', name)).includes('binding.gyp'))).toEqual([]);
    expect(packages).toContain('fs-native-extensions');
  });

  test('a command that needs a peer that is not there says what to install, exit status 2', () => {
    const csv = join(root, 'cases/fixtures/small-sweep.csv');
    const plot = run(join(project, 'node_modules/.bin/contend'), ['plot', csv, '--out', join(dir, 'plots')]);
    expect(plot.stderr).toBe('contend: plotting needs the vega and vega-lite packages: npm install -D vega vega-lite\n');
    expect(plot.status).toBe(2);
    const lock = run(join(project, 'node_modules/.bin/contend'), ['run', '--lock', 'os-lock']);
    expect(lock.stderr).toBe('contend: the os-lock lock needs the os-lock package: npm install -D os-lock\n');
    expect(lock.status).toBe(2);
    const lease = run(join(project, 'node_modules/.bin/contend'), ['run', '--lock', 'redis-lease']);
    expect(lease.stderr).toBe('contend: the redis-lease lock needs the ioredis package: npm install -D ioredis\n');
    expect(lease.status).toBe(2);
    // A typo in a property is said as such, before the packages the default rows would need.
    const typo = run(join(project, 'node_modules/.bin/contend'), ['audit', '--properties', 'excludes-proc']);
    expect(typo.stderr).toMatch(/^contend: invalid properties: "excludes-proc"; allowed: excludes-async, /);
    expect(typo.status).toBe(2);
  });
});

describe('the main entry and its subpaths', () => {
  test('name every export, and none of the internals', async () => {
    const source = readFileSync(join(root, 'lib/index.ts'), 'utf8');
    expect(source).not.toMatch(/export \*/);
    const main = Object.keys(await import('../lib/index.js'));
    for (const internal of ['FUZZ_FLAG', 'CHUNK', 'writeThenRename', 'traceFs', 'withStepHook', 'AUDIT_TESTS', 'writeRegistry', 'lockRegistry', 'loadAdapter', 'runAudit', 'runWorkload', 'runFuzz']) {
      expect(main).not.toContain(internal);
    }
    expect(main).toEqual(expect.arrayContaining(['runCase', 'runMatrix', 'registerLock', 'registerWriteStrategy', 'JsonFileStore', 'closePools', 'ContendError']));
    // Every error class a caller can meet, to catch by class as well as by code.
    expect(main).toEqual(expect.arrayContaining(['AdapterLoadError', 'DeadlockError', 'InvalidOptionError', 'MissingPeerError', 'MissingServerError', 'ServerTimeoutError', 'WorkerFaultError']));
    expect(Object.keys(await import('../lib/powerloss/index.js'))).toContain('RecordingTimeout');
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(Object.keys(manifest.exports)).toEqual(['.', './writes', './audit', './workload', './fuzz', './explore', './powerloss', './vitest', './package.json']);
  });
});
