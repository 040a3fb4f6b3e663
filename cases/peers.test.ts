import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ContendError, MissingPeerError } from '../lib/errors.js';
import { missingPeers } from '../lib/support/peer.js';

interface Manifest {
  bin: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
}

const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as Manifest;
const PEERS = ['fs-ext', 'os-lock', 'lockfile', 'write-file-atomic', 'atomically', 'steno', 'lowdb', 'conf', 'vega', 'vega-lite'];

const sandboxes: string[] = [];
afterAll(() => {
  for (const dir of sandboxes) rmSync(dir, { recursive: true, force: true });
});

/**
 * contend as a user gets it without the optional peers: the build and package.json, and only the
 * production dependencies in node_modules (links to this tree's copies). Nothing is uninstalled
 * here, and Node finds none of the peers from there, as `npm install --omit=dev contend` would leave it.
 */
function sandbox(fakes: Record<string, Record<string, string>> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'peers-'));
  sandboxes.push(dir);
  cpSync('dist', join(dir, 'dist'), { recursive: true });
  cpSync('package.json', join(dir, 'package.json'));
  mkdirSync(join(dir, 'node_modules'));
  mkdirSync(join(dir, 'tmp'));
  for (const dep of Object.keys(manifest.dependencies)) symlinkSync(resolve('node_modules', dep), join(dir, 'node_modules', dep), 'dir');
  for (const [name, files] of Object.entries(fakes)) {
    mkdirSync(join(dir, 'node_modules', name));
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, 'node_modules', name, file), text);
  }
  return dir;
}

// NODE_PATH would let require() look beyond the sandbox; NODE_OPTIONS could carry a loader.
const { NODE_PATH: _path, NODE_OPTIONS: _options, ...childEnv } = process.env;

function node(cwd: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 60_000, env: { ...childEnv, TMPDIR: join(cwd, 'tmp') } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs an ES module body in `cwd` and returns the JSON it prints last. */
function evaluate<T>(cwd: string, body: string): T {
  const r = node(cwd, ['--input-type=module', '-e', body]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as T;
}

// Each call's error as `CODE: message`, or `ok`.
const ATTEMPT = `const attempt = async (f) => { try { await f(); return 'ok'; } catch (e) { return e.code + ': ' + e.message; } };`;
const CONTEXT = `({ worker: 1, kind: 'async', lockPath: 'tmp/x.lock', shared: new Int32Array(new SharedArrayBuffer(64)), local: (_k, make) => make(), signal: new AbortController().signal })`;

const missing = (neededBy: string, packages: string): string => `E_MISSING_PEER: ${neededBy} needs ${packages}`;

test('the ten libraries are optional peers of users and dev dependencies here, pinned as before', () => {
  for (const name of PEERS) {
    expect(manifest.peerDependenciesMeta[name]).toEqual({ optional: true });
    expect(manifest.dependencies[name]).toBeUndefined();
    expect(manifest.peerDependencies[name]).toBe(`^${manifest.devDependencies[name]}`);
  }
  // This tree has every one of them, so the suite still runs each library.
  expect(missingPeers([...PEERS, 'contend-no-such-package'])).toEqual(['contend-no-such-package']);
});

test('MissingPeerError is one line naming what needs what, and what to install', () => {
  const error = new MissingPeerError('plotting', ['vega', 'vega-lite']);
  expect(error).toBeInstanceOf(ContendError);
  expect(error.code).toBe('E_MISSING_PEER');
  expect(error.packages).toEqual(['vega', 'vega-lite']);
  expect(error.message).toBe('plotting needs the vega and vega-lite packages: npm install -D vega vega-lite');
});

test('importing the built contend, its audit and workload entries, and listing its locks loads none of the ten', () => {
  // Resolving any of them through import() fails the import; require() is not hooked on Node 20,
  // so its cache is looked at as well.
  const hook = `let peers = [];
export function initialize(data) { peers = data; }
export async function resolve(specifier, context, next) {
  const found = await next(specifier, context);
  const peer = peers.find((p) => found.url.includes('/node_modules/' + p + '/'));
  if (peer) throw new Error('loaded ' + peer);
  return found;
}`;
  const result = evaluate<{ locks: string[]; before: string[]; after: string[]; blocked: string }>(
    process.cwd(),
    `import { createRequire, register } from 'node:module';
const peers = ${JSON.stringify(PEERS)};
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}), import.meta.url, { data: peers });
const require = createRequire(process.cwd() + '/');
const cached = () => Object.keys(require.cache).filter((f) => peers.some((p) => f.includes('/node_modules/' + p + '/')));
const contend = await import(${JSON.stringify(pathToFileURL(resolve('dist/lib/index.js')).href)});
await import(${JSON.stringify(pathToFileURL(resolve('dist/lib/audit/index.js')).href)});
await import(${JSON.stringify(pathToFileURL(resolve('dist/lib/workload/index.js')).href)});
const locks = contend.lockNames();
const before = cached();
// Both watches work: a peer imported is refused, a peer required is in the cache.
let blocked = 'not refused';
try { await import('steno'); } catch (e) { blocked = e.message; }
require('lockfile');
console.log(JSON.stringify({ locks, before, after: cached(), blocked }));`,
  );
  expect(result.locks).toEqual(expect.arrayContaining(['fs-ext', 'os-lock', 'npm-lockfile']));
  expect(result.before).toEqual([]);
  expect(result.blocked).toBe('loaded steno');
  expect(result.after).toEqual([expect.stringContaining('/node_modules/lockfile/')]);
});

test('importing the built contend starts no worker kind: child_process and the inspector load with the first case', () => {
  const dir = sandbox();
  const result = evaluate<{ atImport: string[]; afterCase: string[]; races: boolean[] }>(
    dir,
    `const loaded = () => process.moduleLoadList.filter((m) => /^NativeModule (child_process|inspector)$/.test(m));
const contend = await import(${JSON.stringify(pathToFileURL(join(dir, 'dist/lib/index.js')).href)});
const atImport = loaded();
const results = [await contend.runCase({ kind: 'async', lock: 'mutex', workers: 2 }), await contend.runCase({ kind: 'process', lock: 'flock', workers: 2 })];
await contend.closePools();
console.log(JSON.stringify({ atImport, afterCase: loaded(), races: results.map((r) => r.race) }));`,
  );
  expect(result.atImport).toEqual([]);
  // The same watch sees them once cases have run: an async case's watchdog, a process case's hosts.
  expect(result.afterCase.sort()).toEqual(['NativeModule child_process', 'NativeModule inspector']);
  // And the kinds loaded on demand still run: neither lock lets a race through.
  expect(result.races).toEqual([false, false]);
});

describe('without the optional peers installed', () => {
  let dir: string;
  beforeAll(() => {
    dir = sandbox();
  });

  test('Node finds none of them from there', () => {
    const found = evaluate<string[]>(
      dir,
      `import { createRequire } from 'node:module';
const require = createRequire(process.cwd() + '/dist/lib/index.js');
console.log(JSON.stringify(${JSON.stringify(PEERS)}.filter((p) => { try { require.resolve(p + '/package.json'); return true; } catch { return false; } })));`,
    );
    expect(found).toEqual([]);
  });

  test('contend imports, and its locks are listed', () => {
    const r = node(dir, [manifest.bin.contend!, 'locks']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Listed with what to install: the package each wraps.
    for (const [lock, pkg] of [['fs-ext', 'fs-ext'], ['os-lock', 'os-lock'], ['npm-lockfile', 'lockfile']]) {
      expect(r.stdout).toMatch(new RegExp(`^${lock} +(yes|no) +(yes|no) +(yes|no) +npm install -D ${pkg} `, 'm'));
    }
    expect(r.stdout).toMatch(/^flock +yes +yes +yes +- /m);
  });

  test('each use says, in one line, what needs which package and how to install it', () => {
    const result = evaluate<Record<string, string[] | string>>(
      dir,
      `import { existsSync } from 'node:fs';
const c = await import('./dist/lib/index.js');
const { plotResults } = await import('./dist/lib/workload/index.js');
${ATTEMPT}
const ctx = ${CONTEXT};
console.log(JSON.stringify({
  locks: await Promise.all([c.FsExtAdapter, c.OsLockAdapter, c.NpmLockfileAdapter].map((a) => attempt(() => a.create(ctx, a.defaults)))),
  writes: await Promise.all([c.WriteFileAtomicStrategy, c.AtomicallyStrategy, c.StenoStrategy, c.LowdbStrategy, c.ConfStrategy].map((s) => attempt(() => s.save('tmp/doc.json', '{}')))),
  plot: await attempt(() => plotResults([{ config_label: 'x' }], 'tmp/plots')),
  plotted: String(existsSync('tmp/plots')),
}));`,
    );
    expect(result.locks).toEqual([
      missing('the fs-ext lock', 'the fs-ext package: npm install -D fs-ext'),
      missing('the os-lock lock', 'the os-lock package: npm install -D os-lock'),
      missing('the npm-lockfile lock', 'the lockfile package: npm install -D lockfile'),
    ]);
    expect(result.writes).toEqual(
      ['write-file-atomic', 'atomically', 'steno', 'lowdb', 'conf'].map((p) => missing(`the ${p} write strategy`, `the ${p} package: npm install -D ${p}`)),
    );
    expect(result.plot).toBe(missing('plotting', 'the vega and vega-lite packages: npm install -D vega vega-lite'));
    expect(result.plotted).toBe('false');
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  });

  test('a case, a matrix, an audit that will need one is refused before any work starts', () => {
    const result = evaluate<Record<string, string>>(
      dir,
      `const c = { ...(await import('./dist/lib/index.js')), ...(await import('./dist/lib/audit/index.js')), ...(await import('./dist/lib/audit/libraries.js')) };
${ATTEMPT}
console.log(JSON.stringify({
  run: await attempt(() => c.runCase({ kind: 'process', lock: 'os-lock' })),
  matrix: await attempt(() => c.runMatrix({ kinds: ['async'], locks: ['flock', 'npm-lockfile'] })),
  audit: await attempt(() => c.librarySpecs()),
  some: await attempt(() => c.librarySpecs(['flock', 'steno', 'lowdb'])),
  own: await attempt(() => c.librarySpecs(['flock', 'lockfile', 'truncate'])),
  row: await attempt(() => c.auditedLibrary({ name: 'npm-lockfile', role: 'lock', lockOptions: { staleMs: 2000 } })),
  report: await attempt(() => c.runAudit()),
}));`,
    );
    expect(result.run).toBe(missing('the os-lock lock', 'the os-lock package: npm install -D os-lock'));
    expect(result.matrix).toBe(missing('the npm-lockfile lock', 'the lockfile package: npm install -D lockfile'));
    expect(result.audit).toBe(
      missing('the audit', 'the fs-ext, os-lock, lockfile, write-file-atomic, atomically, steno, lowdb and conf packages: npm install -D fs-ext os-lock lockfile write-file-atomic atomically steno lowdb conf'),
    );
    expect(result.some).toBe(missing('the audit', 'the steno and lowdb packages: npm install -D steno lowdb'));
    expect(result.own).toBe('ok');
    expect(result.row).toBe(missing('the audit of npm-lockfile (staleMs=2000)', 'the lockfile package: npm install -D lockfile'));
    expect(result.report).toBe(missing('the audit of fs-ext', 'the fs-ext package: npm install -D fs-ext'));
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  });

  test('the CLI prints the line', () => {
    const r = node(dir, [manifest.bin.contend!, 'audit']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`the audit needs the fs-ext, os-lock, lockfile, write-file-atomic, atomically, steno, lowdb and conf packages: npm install -D fs-ext os-lock lockfile write-file-atomic atomically steno lowdb conf\n`);
  });
});

test('a peer that is installed but broken, or lacks a package of its own, fails with its own error', () => {
  const dir = sandbox({
    // steno's entry file is not there.
    steno: { 'package.json': JSON.stringify({ name: 'steno', version: '4.0.2', type: 'module', exports: './lib/index.js' }) },
    // lowdb imports a package nobody installed.
    lowdb: {
      'package.json': JSON.stringify({ name: 'lowdb', version: '7.0.1', type: 'module', exports: { '.': './index.js', './node': './index.js' } }),
      'index.js': "export * from 'contend-no-such-dependency';\n",
    },
  });
  const result = evaluate<Record<string, string>>(
    dir,
    `const c = { ...(await import('./dist/lib/index.js')), ...(await import('./dist/lib/audit/index.js')) };
${ATTEMPT}
console.log(JSON.stringify({
  audit: await attempt(() => c.librarySpecs(['steno', 'lowdb'])),
  steno: await attempt(() => c.StenoStrategy.save('tmp/doc.json', '{}')),
  lowdb: await attempt(() => c.LowdbStrategy.save('tmp/doc.json', '{}')),
}));`,
  );
  expect(result.audit).toBe('ok');
  expect(result.steno).toMatch(/^ERR_MODULE_NOT_FOUND: Cannot find module '.*\/node_modules\/steno\/lib\/index\.js'/);
  expect(result.lowdb).toMatch(/^ERR_MODULE_NOT_FOUND: Cannot find package 'contend-no-such-dependency' imported from .*\/node_modules\/lowdb\/index\.js/);
  expect(existsSync(join(dir, 'tmp', 'doc.json'))).toBe(false);
});
