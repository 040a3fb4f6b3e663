import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { removeAtExit } from '../lib/support/cleanup.js';
import { closePools, runMatrix } from '../lib/index.js';
import type { WriterOrder } from '../lib/fuzz/protocol.js';
import { launch, withoutCertificates } from '../lib/hosts/launch.js';
import { ownFileCode } from '../lib/locks/index.js';
import { packageRoot } from '../lib/support/paths.js';
import type { ActorSpec } from '../lib/case/protocol.js';
import { formatColumns } from '../lib/case/report.js';
import { withWorkspace } from '../lib/support/workspace.js';

/**
 * `npm run bench -- startup`: what starting contend costs, next to what starting node costs on the
 * same machine in the same run. Every figure is a median of RUNS interleaved runs, and is read as a
 * ratio to its baseline: on a shared 2-core machine an absolute threshold would only measure the
 * neighbours.
 */

const DEFAULT_RUNS = 5;
/** A wait that should take milliseconds; past this the host is broken, and the bench says so. */
const FIRST_SIGN_TIMEOUT_MS = 30_000;
const INSTALL_TIMEOUT_MS = 180_000;

/**
 * GNU time reports the rusage wait4() returns: user + sys of the child and of every descendant it
 * reaped (the matrix's process hosts, which the CLI kills and waits for). Its format prints them to
 * 10 ms, so small CPU figures are coarse; wall times are taken here, to the microsecond.
 */
const GNU_TIME = '/usr/bin/time';

function runsWanted(): number {
  const raw = process.env.CONTEND_BENCH_RUNS;
  if (raw === undefined || raw === '') return DEFAULT_RUNS;
  const runs = Number(raw);
  // A median of fewer runs is one noisy neighbour away from any value.
  if (!Number.isInteger(runs) || runs < 5) {
    process.stderr.write(`bench: CONTEND_BENCH_RUNS must be an integer of at least 5, not "${raw}"\n`);
    process.exit(2);
  }
  return runs;
}

function hasGnuTime(): boolean {
  try {
    accessSync(GNU_TIME, constants.X_OK);
  } catch {
    return false;
  }
  return spawnSync(GNU_TIME, ['-f', '%U', '-o', '/dev/null', 'true'], { stdio: 'ignore' }).status === 0;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Sample {
  ms: number;
  cpuMs: number | undefined;
  status: number | null;
}

/** One run of a command with its output discarded: wall time, and CPU when GNU time is there. */
function runOnce(argv: string[], timeFile: string | undefined, env: NodeJS.ProcessEnv | undefined): Sample {
  const [command, args] = timeFile ? [GNU_TIME, ['-f', '%U %S', '-o', timeFile, ...argv]] : [argv[0]!, argv.slice(1)];
  const started = performance.now();
  const result = spawnSync(command, args, { stdio: 'ignore', timeout: 120_000, ...(env ? { env } : {}) });
  const ms = performance.now() - started;
  let cpuMs: number | undefined;
  if (timeFile) {
    // A non-zero exit puts a line of its own before the figures: the last line holds them.
    const last = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1) ?? '';
    const [user, sys] = last.split(' ').map(Number);
    if (Number.isFinite(user) && Number.isFinite(sys)) cpuMs = (user! + sys!) * 1000;
  }
  return { ms, cpuMs, status: result.status };
}

interface Probe {
  label: string;
  argv: string[];
  /** The environment, when not this process's own. */
  env?: NodeJS.ProcessEnv;
  samples: Sample[];
}

/**
 * The commands run round-robin, so a burst of load from elsewhere lands on all of them alike. A
 * first round is not counted: it reads the files into the page cache, which every later run finds
 * there, as a user's second command does.
 */
function measureCommands(probes: Probe[], runs: number, timeFile: string | undefined): void {
  for (let round = 0; round <= runs; round++) {
    for (const probe of probes) {
      const sample = runOnce(probe.argv, timeFile, probe.env);
      if (round > 0) probe.samples.push(sample);
    }
  }
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${FIRST_SIGN_TIMEOUT_MS} ms`)), FIRST_SIGN_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A process host as the driver starts one: launched, then sent its actor at once. */
async function processHostStart(dir: string): Promise<{ loaded: number; ready: number }> {
  // The fuzz's default pair, so both hosts load the same lock and write strategy.
  const spec: ActorSpec = {
    worker: 1,
    kind: 'process',
    file: join(dir, 'shared.json'),
    lockPath: join(dir, 'shared.lock'),
    lock: { builtin: 'flock' },
    lockOptions: {},
    write: { builtin: 'atomic' },
    granularity: 'operation',
    waiting: 'driver',
  };
  const started = performance.now();
  // Launched as the process kind launches a host for this spec.
  const host = launch('process-host', { filesOnly: ownFileCode(spec) });
  const seen: { loaded?: number; ready?: number } = {};
  const ready = new Promise<void>((resolve, reject) => {
    host.onMessage((message) => {
      if (message.type === 'loaded' || message.type === 'ready') seen[message.type] ??= performance.now() - started;
      if (message.type === 'ready') resolve();
      if (message.type === 'start-failed') reject(new Error(`process host: ${message.error.message}`));
    });
    void host.exited.then((how) => reject(new Error(`process host ${how}`)));
  });
  host.send({ type: 'start', spec });
  try {
    await withTimeout(ready, 'process host');
  } finally {
    await host.kill();
  }
  return { loaded: seen.loaded!, ready: seen.ready! };
}

/**
 * A kill-fuzz child as the harness starts one. It sends nothing over IPC: its first sign of life is
 * the first journaled put, which is also what the harness waits for before its window opens.
 */
async function fuzzWriterStart(dir: string): Promise<number> {
  const journal = join(dir, 'child-1.journal');
  const order: WriterOrder = { state: join(dir, 'state.json'), journal, key: 'child-1', start: 0, lock: { builtin: 'flock' }, write: { builtin: 'atomic' } };
  const journaled = (): boolean => existsSync(journal) && readFileSync(journal, 'utf8').includes('\n');
  const started = performance.now();
  const writer = launch('fuzz-writer', { filesOnly: ownFileCode(order) });
  let stop = (): void => {};
  const firstPut = new Promise<number>((resolve, reject) => {
    const check = (): void => {
      if (journaled()) resolve(performance.now() - started);
    };
    // inotify wakes us within the millisecond of the write; the poll only covers a missed event.
    const watcher = watch(dir, check);
    const poll = setInterval(check, 20);
    stop = () => {
      watcher.close();
      clearInterval(poll);
    };
    void writer.exited.then((how) => reject(new Error(`fuzz writer ${how}`)));
  });
  writer.send(order);
  try {
    return await withTimeout(firstPut, 'fuzz writer');
  } finally {
    stop();
    await writer.kill();
  }
}

interface InstallReport {
  tarballKb: number;
  installMs: number;
  packages: string[];
  gyp: string[];
}

/** Every package directory under node_modules, nested ones too, a scope's packages one by one. */
function packageDirs(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const path = join(nodeModules, entry.name);
    const dirs = entry.name.startsWith('@')
      ? readdirSync(path, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => join(path, e.name))
      : [path];
    for (const dir of dirs) found.push(dir, ...packageDirs(join(dir, 'node_modules')));
  }
  return found;
}

/**
 * What a user's `npm install contend` brings: the package as published (packed from this tree),
 * installed into an empty project with the dev dependencies left out. npm runs with none of the
 * npm_* variables `npm run` set for us, so it acts as it would in the user's shell.
 */
function install(): InstallReport {
  const work = mkdtempSync(join(tmpdir(), 'contend-bench-install-'));
  const forget = removeAtExit(work);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  const npm = (args: string[], cwd: string): string => {
    const r = spawnSync('npm', args, { cwd, env, encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS });
    if (r.status !== 0) throw new Error(`npm ${args[0]} failed (${r.error?.message ?? `status ${r.status}`}): ${r.stderr.trim().slice(-2_000)}`);
    return r.stdout;
  };
  try {
    const [packed] = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], packageRoot)) as { filename: string; size: number }[];
    const tarball = join(work, packed!.filename);
    const project = join(work, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'install-probe', version: '0.0.0', private: true }));
    const started = performance.now();
    npm(['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball], project);
    const installMs = performance.now() - started;
    const dirs = packageDirs(join(project, 'node_modules'));
    const nameOf = (dir: string): string => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string }).name;
    return {
      tarballKb: packed!.size / 1024,
      installMs,
      packages: dirs.map(nameOf),
      gyp: dirs.filter((d) => existsSync(join(d, 'binding.gyp'))).map(nameOf),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
    forget();
  }
}

export async function startup(section: (title: string) => void): Promise<void> {
  const runs = runsWanted();
  section(`start-up: median of ${runs} runs each, interleaved (CONTEND_BENCH_RUNS to change), ratios taken in this run`);
  const node = process.execPath;
  const main = join(packageRoot, 'dist', 'lib', 'cli', 'main.js');
  const entry = pathToFileURL(join(packageRoot, 'dist', 'lib', 'index.js')).href;
  const coldMatrix: Probe = { label: 'contend matrix (30 cases, cold, from the shell)', argv: [node, main, 'matrix'], samples: [] };
  const probes: Probe[] = [
    { label: 'node -e 0 (bare node)', argv: [node, '-e', '0'], samples: [] },
    { label: "import('contend') in a fresh node", argv: [node, '--input-type=module', '-e', `await import(${JSON.stringify(entry)})`], samples: [] },
    { label: 'contend --help', argv: [node, main, '--help'], samples: [] },
    { label: 'contend schedule', argv: [node, main, 'schedule'], samples: [] },
    coldMatrix,
  ];
  // Set here, it is part of every node start (withoutCertificates): shown apart.
  if (process.env.NODE_EXTRA_CA_CERTS !== undefined) {
    const env = withoutCertificates(process.env);
    probes.push(
      { label: 'node -e 0 without NODE_EXTRA_CA_CERTS', argv: [node, '-e', '0'], env, samples: [] },
      { label: 'contend matrix without NODE_EXTRA_CA_CERTS', argv: [node, main, 'matrix'], env, samples: [] },
    );
  }
  const timing = hasGnuTime();
  const timeDir = timing ? mkdtempSync(join(tmpdir(), 'contend-bench-time-')) : undefined;
  const forgetTimeDir = timeDir ? removeAtExit(timeDir) : () => {};
  try {
    measureCommands(probes, runs, timeDir && join(timeDir, 'rusage'));
  } finally {
    if (timeDir) rmSync(timeDir, { recursive: true, force: true });
    forgetTimeDir();
  }

  const bare = median(probes[0]!.samples.map((s) => s.ms));
  const ms = (value: number): string => value.toFixed(1);
  const cpuOf = (samples: Sample[]): string => {
    const cpu = samples.flatMap((s) => (s.cpuMs === undefined ? [] : [s.cpuMs]));
    return cpu.length === samples.length ? ms(median(cpu)) : 'n/a';
  };
  const rows: string[][] = [['what', 'median wall ms', 'CPU ms (user+sys)', 'ratio']];
  for (const probe of probes) {
    const wall = median(probe.samples.map((s) => s.ms));
    const failed = probe.samples.filter((s) => s.status !== 0).length;
    const label = failed ? `${probe.label} [${failed} of ${probe.samples.length} exited non-zero]` : probe.label;
    rows.push([label, ms(wall), cpuOf(probe.samples), probe === probes[0] ? '×1.0 (baseline)' : `×${(wall / bare).toFixed(1)} bare node`]);
  }
  const cold = median(coldMatrix.samples.map((s) => s.ms));

  // In-process, as a test file's second matrix: threads and process hosts already up. CPU is left
  // out: this process's own usage would miss the process hosts' share.
  await runMatrix();
  const warm: number[] = [];
  let failedWarm = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const result = await runMatrix();
    warm.push(performance.now() - started);
    failedWarm += result.some((r) => r.verdict !== 'pass') ? 1 : 0;
  }
  await closePools();
  const warmMs = median(warm);
  rows.push([`the same 30 cases, warm, in-process${failedWarm ? ` [${failedWarm} runs with failures]` : ''}`, ms(warmMs), '–', `×${(warmMs / cold).toFixed(2)} cold matrix`]);

  // From launch() to the first sign of each host, alternately, each in a fresh directory.
  const loaded: number[] = [];
  const ready: number[] = [];
  const firstPut: number[] = [];
  for (let round = 0; round <= runs; round++) {
    const host = await withWorkspace('contend-bench-', ({ dir }) => processHostStart(dir));
    const put = await withWorkspace('contend-bench-', ({ dir }) => fuzzWriterStart(dir));
    if (round === 0) continue;
    loaded.push(host.loaded);
    ready.push(host.ready);
    firstPut.push(put);
  }
  const loadedMs = median(loaded);
  rows.push(
    ['process host: launch() → `loaded` (its first message)', ms(median(loaded)), '–', `×${(loadedMs / bare).toFixed(1)} bare node`],
    ['process host: launch() → `ready` (lock made)', ms(median(ready)), '–', `×${(median(ready) / loadedMs).toFixed(2)} process host \`loaded\``],
    ['fuzz writer: launch() → first journaled put', ms(median(firstPut)), '–', `×${(median(firstPut) / loadedMs).toFixed(2)} process host \`loaded\``],
  );
  process.stdout.write(formatColumns(rows) + '\n');
  if (!timing) process.stdout.write(`(no ${GNU_TIME}: CPU not measured)\n`);

  if (process.env.CONTEND_BENCH_OFFLINE === '1') {
    process.stdout.write('\ninstall: skipped (CONTEND_BENCH_OFFLINE=1)\n');
    return;
  }
  const report = install();
  const distinct = [...new Set(report.packages)].sort();
  const has = (name: string): string => `${name} ${report.packages.includes(name) ? 'PRESENT' : 'absent'}`;
  process.stdout.write(
    [
      '',
      `install of the packed tarball (${report.tarballKb.toFixed(0)} kB) into an empty project, --omit=dev --prefer-offline: ${(report.installMs / 1000).toFixed(1)} s (one run)`,
      `  packages installed: ${report.packages.length} directories, contend's own included; ${distinct.length} distinct names: ${distinct.join(', ')}`,
      `  with a binding.gyp (node-gyp build): ${report.gyp.length ? report.gyp.join(', ') : 'none'}`,
      `  ${['vega', 'fs-ext', 'os-lock'].map(has).join(', ')}`,
      '',
    ].join('\n'),
  );
}
