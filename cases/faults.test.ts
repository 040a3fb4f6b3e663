import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DeadlockError, registerLock, runCase, unregisterLock, WorkerFaultError, type CaseOptions } from '../lib/index.js';
import { closeProcessPool } from '../lib/case/kinds/process.js';
import { thrownAt } from '../lib/support/thrown-at.js';
import { packageRoot } from '../lib/support/paths.js';
import { caseDirs, hostProcesses, openCaseFiles } from './support/leftovers.js';

const MODULE = new URL('./fixtures/faulty-locks.ts', import.meta.url).href;

// How long a worker may take to answer before it is called hung: short, so that a hang is seen
// soon, but far longer than any healthy action on a loaded machine, since it applies to every worker.
const HANG_MS = 2_000;

/** `line:column` of the `new Error` whose message holds `text`, in the faulty locks' source. */
const lineOf = (text: string): string => {
  const lines = readFileSync(new URL(MODULE), 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes(text));
  return `${line + 1}:${lines[line]!.indexOf('new Error') + 1}`;
};

beforeAll(async () => {
  await registerLock({ module: MODULE, export: 'FaultyLockAdapter' });
  await registerLock({ module: MODULE, export: 'LeakyLockAdapter' });
});
afterAll(() => {
  unregisterLock('faulty');
  unregisterLock('leaky');
});

async function failure(options: CaseOptions): Promise<WorkerFaultError | DeadlockError> {
  const dirsBefore = caseDirs().length;
  const error = await runCase(options).then(
    () => undefined,
    (e: unknown) => e,
  );
  // Nothing is left behind by a case that failed: no temp directory, no file still open (a thread
  // ended on the fault is awaited until it is gone), no busy process host.
  expect(caseDirs().length).toBe(dirsBefore);
  expect(openCaseFiles()).toEqual([]);
  await closeProcessPool();
  expect(hostProcesses()).toEqual([]);
  if (!(error instanceof WorkerFaultError || error instanceof DeadlockError)) throw new Error(`expected a fault, got ${String(error)}`);
  expect(error.replay).toContain('runCase(');
  return error;
}

describe.each(['async', 'thread', 'process'] as const)('%s workers', (kind) => {
  test('a worker that throws is reported by number and action', async () => {
    const error = await failure({ kind, lock: 'faulty', lockOptions: { worker: 3, how: 'throw' } });
    expect(error).toBeInstanceOf(WorkerFaultError);
    // Where it was thrown: the adapter's own file and line, also through a test runner's stacks.
    expect((error as WorkerFaultError).faults).toEqual([
      { worker: 3, action: 'write', reason: 'threw', detail: `Error: worker 3 cannot lock (at cases/fixtures/faulty-locks.ts:${lineOf('worker ${worker} cannot lock')})` },
    ]);
    expect(error.message).toBe(`worker 3 threw during 'write': Error: worker 3 cannot lock (at cases/fixtures/faulty-locks.ts:${lineOf('worker ${worker} cannot lock')})`);
  });

  test('a worker that hangs is reported, ended, and the case does not hang', async () => {
    const error = await failure({ kind, lock: 'faulty', lockOptions: { worker: 4, how: 'hang' }, actionTimeoutMs: HANG_MS });
    expect((error as WorkerFaultError).faults).toEqual([
      { worker: 4, action: 'write', reason: 'hung', detail: `no reply in ${HANG_MS} ms` },
    ]);
  });

  test('a lock that is never freed ends in a deadlock report naming waiters and holder', async () => {
    const error = await failure({ kind, lock: 'leaky' });
    expect(error).toBeInstanceOf(DeadlockError);
    expect((error as DeadlockError).waiting).toEqual([2, 3, 4, 5]);
    expect(error.message).toBe('deadlock: worker 2, 3, 4, 5 wait for the lock, last held by worker 1, whose release did not free it');
  });
});

describe.each(['thread', 'process'] as const)('%s workers that die', (kind) => {
  test('are reported by number and action', async () => {
    const error = (await failure({ kind, lock: 'faulty', lockOptions: { worker: 2, how: 'exit' } })) as WorkerFaultError;
    expect(error.faults).toHaveLength(1);
    expect(error.faults[0]).toMatchObject({ worker: 2, action: 'write', reason: 'died' });
    expect(error.faults[0]!.detail).toMatch(kind === 'process' ? /exited with code 7/ : /thread/);
  });
});

test('period mode reports a hung worker too', async () => {
  const error = await failure({ kind: 'process', lock: 'faulty', mode: 'period', period: 0.02, lockOptions: { worker: 2, how: 'hang' }, actionTimeoutMs: HANG_MS });
  expect((error as WorkerFaultError).faults[0]).toMatchObject({ worker: 2, action: 'write', reason: 'hung' });
});

// In period mode an actor that waits for its lock gets its next command queued behind the wait;
// when the wait hangs and the worker is ended, that command fails too, and must not be reported
// in place of the hang.
test.each(['thread', 'process'] as const)('%s: a worker ended because it hung in write is reported hung in write, not dead in read', async (kind) => {
  const error = (await failure({ kind, lock: 'faulty', mode: 'period', period: 0.02, lockOptions: { worker: 2, how: 'wait-hang' }, actionTimeoutMs: HANG_MS })) as WorkerFaultError;
  expect(error.faults).toHaveLength(1);
  expect(error.faults[0]).toMatchObject({ worker: 2, action: 'write', reason: 'hung' });
});

// Worker 1 blocks in the first request, armed with the watchdog's first beat: its time-out then
// comes due in the stall as surely as the watchdog's limit, and is the block's, not a hang.
test.each([1, 2])('async: an adapter that blocks the event loop (worker %i) is interrupted and reported, and the case ends', async (worker) => {
  const error = (await failure({ kind: 'async', lock: 'faulty', lockOptions: { worker, how: 'busy' }, actionTimeoutMs: HANG_MS })) as WorkerFaultError;
  expect(error.faults).toHaveLength(1);
  expect(error.faults[0]).toMatchObject({ worker, action: 'write', reason: 'blocked' });
  expect(error.message).toMatch(new RegExp(`^worker ${worker} blocked the event loop during 'write': its tryAcquire\\(\\) did not return for \\d+ ms; contend interrupted it$`));
});

// The inspector reaches the main thread only: an interrupt sent there would stop whatever code
// the main thread runs, not the blocked driver, and leave the block to look like a native call.
test('async, the driver in a worker thread: a block ends the process at once, saying why, its files removed', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'thread-driver-'));
  try {
    const options = { kind: 'async', lock: { module: MODULE, export: 'FaultyLockAdapter' }, lockOptions: { worker: 1, how: 'busy' }, actionTimeoutMs: HANG_MS };
    const script = `const { Worker } = require('node:worker_threads'); new Worker(${JSON.stringify(join(packageRoot, 'cases/fixtures/case-in-thread.mjs'))}, { workerData: ${JSON.stringify(options)} }).on('message', (m) => console.log(m));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TMPDIR: tmp } });
    expect(r.stderr).toMatch(/^contend: an async actor blocked the event loop for \d+ ms in its tryAcquire\(\) during 'write', in a worker thread, which contend cannot interrupt; its temporary files are removed and the process ends \(SIGKILL\)\n$/);
    expect(r.stdout).toBe('');
    expect(r.signal).toBe('SIGKILL');
    expect(readdirSync(tmp)).toEqual([]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.each(['thread', 'process'] as const)('%s: an adapter that blocks its own thread is a hang, and it is ended', async (kind) => {
  const error = (await failure({ kind, lock: 'faulty', lockOptions: { worker: 2, how: 'busy' }, actionTimeoutMs: HANG_MS })) as WorkerFaultError;
  expect(error.faults).toEqual([{ worker: 2, action: 'write', reason: 'hung', detail: `no reply in ${HANG_MS} ms` }]);
});

test.each(['async', 'thread', 'process'] as const)('%s: a worker that never gets ready is reported hung at start', async (kind) => {
  const error = (await failure({ kind, lock: 'faulty', lockOptions: { worker: 3, how: 'create-hang' }, startTimeoutMs: 3000 })) as WorkerFaultError;
  expect(error.faults).toEqual([{ worker: 3, action: 'start', reason: 'hung', detail: 'not ready in 3000 ms' }]);
});

test.each(['async', 'thread', 'process'] as const)('%s: a worker whose lock cannot be made is reported at start', async (kind) => {
  const error = (await failure({ kind, lock: 'faulty', lockOptions: { worker: 2, how: 'create' } })) as WorkerFaultError;
  expect(error.faults).toEqual([{ worker: 2, action: 'start', reason: 'threw', detail: `Error: worker 2 has no lock (at cases/fixtures/faulty-locks.ts:${lineOf('worker ${worker} has no lock')})` }]);
});

describe('where a thrown error came from, as a fault report names it', () => {
  const here = (file: string): string => join(process.cwd(), file);
  test.each<[string, string, string | undefined]>([
    ['a frame of Node inside the adapter\'s call', `Error: ENOENT\n    at async readFile (node:internal/fs/promises:637:25)\n    at async Object.tryAcquire (${here('my-lock.js')}:3:9)`, 'my-lock.js:3:9'],
    ['a path with a space and parentheses', `Error: x\n    at Object.tryAcquire (${here('my lock (1).cjs')}:3:44)`, 'my lock (1).cjs:3:44'],
    ['a file URL, percent-encoded', `Error: x\n    at ${pathToFileURL(here('my lock.mjs')).href}:2:5`, 'my lock.mjs:2:5'],
    ['a message that names a path on a line of its own', `Error: bad\nsee /etc/x.json:4:2\n    at async Promise.all (index 0)\n    at f (${here('a.js')}:1:1)`, 'a.js:1:1'],
    ["contend's own code and a library's", `Error: x\n    at createLock (${join(packageRoot, 'dist/lib/locks/load.js')}:9:1)\n    at run (/p/node_modules/piscina/dist/worker.js:180:22)\n    at g (/elsewhere/b.js:5:6)`, '/elsewhere/b.js:5:6'],
    ['nothing of the user\'s', `Error: x\n    at run (/p/node_modules/piscina/dist/worker.js:180:22)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`, undefined],
  ])('%s', (_what, stack, at) => {
    expect(thrownAt(stack)).toBe(at);
  });
});
