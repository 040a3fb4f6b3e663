import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createLock, loadAdapter, standaloneContext } from '../lib/locks/registry.js';
import { openCounter, type Counter } from '../lib/audit/counter.js';
import { fencedWrite } from '../lib/audit/fencing.js';
import { reclaimWithPause } from '../lib/audit/reclaim.js';
import { nativeWaits } from '../lib/audit/native-waits.js';
import type { CommandOf, HoldOrder, HostCommand, HostOp, HostResults } from '../lib/audit/protocol.js';
import { parentChannel } from '../lib/hosts/parent.js';
import type { Lock } from '../lib/locks/types.js';
import { loadWriteStrategy } from '../lib/writes/index.js';
import { installFsTrace, seesSave, withStepHook, type FsStep } from '../lib/writes/trace.js';

/**
 * The audit's other process: it holds locks (itself or in a worker_thread, to be killed, stalled or
 * terminated), waits through a library's own call, counts through a writer, and saves with pause
 * points, one command at a time as the audit's scenario says.
 */
async function takeLock(order: HoldOrder, acquire = true): Promise<Lock> {
  const context = standaloneContext({ worker: 1, kind: isMainThread ? 'process' : 'thread', lockPath: order.lockPath, signal: new AbortController().signal });
  const lock = await createLock(await loadAdapter(order.lock), context, order.lockOptions);
  if (acquire) await lock.acquire();
  return lock;
}

// Before any writer loads, so that the steps of its saves can be paused at.
installFsTrace();

if (!isMainThread) {
  // A holder thread: takes the lock and keeps it until the thread is terminated.
  const lock = await takeLock(workerData as HoldOrder);
  parentPort!.postMessage('held');
  setInterval(() => void lock, 60_000);
} else {
  // Nobody is left to report to: end, whatever is held (the kernel and the audit clean up).
  const parent = parentChannel('audit-host', { startedBy: '`contend audit`' });
  let lock: Lock | undefined;
  let thread: Worker | undefined;
  const counters = new Map<string, Promise<{ counter: Counter; lastRead?: number }>>();
  // What lets a held save or reclaim go on, by the id of its command; set before `paused` is said.
  const held = new Map<number, () => void>();
  const holdHere = (id: number, step: string): Promise<void> => {
    const resumed = new Promise<void>((resolve) => held.set(id, resolve));
    return parent.post({ id, milestone: { event: 'paused', step } }).then(() => resumed);
  };

  // One handler per command, each typed by what its command answers (HostResults).
  const handlers: { [Op in HostOp]: (command: CommandOf<Op>, id: number) => Promise<HostResults[Op]> } = {
    async hold(command) {
      if (lock || thread) throw new Error('this host already holds a lock');
      if (!command.inThread) {
        lock = await takeLock(command);
        const token = lock.fence?.();
        return token === undefined ? {} : { token: String(token) };
      }
      const { inThread: _t, op: _o, ...order } = command;
      thread = new Worker(new URL(import.meta.url), { workerData: order });
      await new Promise<void>((resolve, reject) => {
        thread!.once('message', () => resolve());
        thread!.once('error', reject);
        thread!.once('exit', (code) => reject(new Error(`the holder thread exited with code ${code}`)));
      });
      return {};
    },
    async stall(command, id) {
      await parent.post({ id, milestone: { event: 'stalling' } });
      // The stall itself: no timer, no I/O callback, no lock refresh runs until the file appears.
      // (Atomics.wait only keeps the loop from taking a whole core meanwhile.)
      const nap = new Int32Array(new SharedArrayBuffer(4));
      while (!existsSync(command.until)) Atomics.wait(nap, 0, 0, 1);
      const lost = lock?.lost ? await Promise.race([lock.lost.then((e) => e.message), delay(command.settleMs, undefined)]) : undefined;
      return lost ? { lost } : {};
    },
    async reclaim(command, id) {
      const { op: _o, boundMs, ...order } = command;
      const mine = await takeLock(order, false);
      const end = await reclaimWithPause(mine, boundMs, (step) => holdHere(id, step));
      if (end.held) lock = mine;
      return end;
    },
    async release() {
      const held = lock;
      lock = undefined;
      try {
        await held?.release();
        await held?.close?.();
        return { released: true };
      } catch (error) {
        return { released: false, error: (error as Error).message };
      }
    },
    async 'close-other-fd'(command) {
      readFileSync(command.path);
      return {};
    },
    async 'terminate-thread'() {
      await thread?.terminate();
      thread = undefined;
      return {};
    },
    pool: (command, id) => pool(id, command),
    'counter-read': (command) => count(command),
    'counter-write': (command) => count(command),
    'locked-increment': (command) => count(command),
    async save(command, id) {
      const strategy = await loadWriteStrategy(command.strategy);
      let paused = false;
      let renamedFrom: string | undefined;
      let unholdable = false;
      const steps: FsStep[] = [];
      const into = ` → ${command.path}`;
      try {
        await withStepHook(
          (step) => {
            steps.push(step);
            if (step.op === 'rename' && step.detail.endsWith(into)) renamedFrom = basename(step.detail.slice(0, -into.length));
            if (paused || step.op !== command.pauseBefore) return;
            paused = true;
            // A synchronous step cannot wait: the save runs through, and says so.
            if (step.sync) return void (unholdable = true);
            return holdHere(id, `${step.op} ${step.detail}`);
          },
          () => strategy.save(command.path, command.data),
        );
        return { saved: true, traced: seesSave(steps), ...(renamedFrom ? { renamedFrom } : {}), ...(unholdable ? { unholdable } : {}) };
      } catch (error) {
        return { saved: false, code: (error as NodeJS.ErrnoException).code, error: (error as Error).message };
      }
    },
    async pid() {
      return { pid: process.pid };
    },
    async resume(command) {
      const resume = held.get(command.of);
      if (!resume) throw new Error(`'resume' of command ${command.of}, which is not held`);
      held.delete(command.of);
      resume();
      return {};
    },
  };

  // Read-modify-write through the writer, on one counter file per writer and path: a read, then a
  // write of what it read plus one (two commands, so the audit can interleave them), or both
  // under a lock.
  async function count(command: CommandOf<'counter-read' | 'counter-write' | 'locked-increment'>): Promise<{ value: number; refused?: string }> {
    const key = `${command.writer}\0${command.path}`;
    if (!counters.has(key)) counters.set(key, openCounter(command.writer, command.strategy, command.path).then((counter) => ({ counter })));
    const entry = await counters.get(key)!;
    const { counter } = entry;
    if (command.op === 'counter-read') return { value: (entry.lastRead = await counter.read()) };
    if (command.op === 'counter-write') {
      if (entry.lastRead === undefined) throw new Error("'counter-write' without a 'counter-read' before it");
      const value = entry.lastRead + 1;
      entry.lastRead = undefined;
      if (command.fence === undefined) {
        await counter.write(value);
        return { value };
      }
      const fenced = await fencedWrite(command.path, value, BigInt(command.fence));
      return fenced.saved ? { value } : { value, refused: String(fenced.seen) };
    }
    const mine = await takeLock(command.lock);
    try {
      const value = (await counter.read()) + 1;
      await counter.write(value);
      return { value };
    } finally {
      await mine.release();
      await mine.close?.();
    }
  }

  // `waiters` waits through the library's own call on a lock the audit holds, then one read of an
  // unrelated file. Either the read finishes while the lock is still held, or every thread of
  // libuv's pool is seen parked in a lock wait, so the read cannot run: both are facts, not timings.
  async function pool(id: number, command: CommandOf<'pool'>): Promise<HostResults['pool']> {
    const native = nativeWaits[command.library];
    if (!native) throw new Error(`no waiting call known for ${command.library}`);
    // One read first starts the pool: its threads exist before any wait, which tells them apart
    // from threads a library starts for its waits.
    await readFile(command.probe);
    const poolThreads = new Set(readdirSync('/proc/self/task'));
    const waits = Array.from({ length: command.waiters }, () => native.wait(command.lockPath).then((release) => release()));
    const read = readFile(command.probe);
    const done = new AbortController();
    const first = await Promise.race([read.then(() => 'read' as const), parkedInPool(poolThreads, command.waiters, done.signal).then(() => 'parked' as const)]);
    done.abort();
    await parent.post({ id, milestone: { event: first } });
    await Promise.all([...waits, read]);
    return { first };
  }

  // Resolves once `threads` threads that existed before the waits sit in a lock wait
  // (/proc/self/task/*/wchan); waits on threads of their own never make it resolve.
  async function parkedInPool(before: Set<string>, threads: number, stop: AbortSignal): Promise<void> {
    // A kernel that hides wchan ('0' for every sleeping thread too) cannot show a parked thread:
    // say so rather than wait forever.
    const wchan = (task: string): string => readFileSync(`/proc/self/task/${task}/wchan`, 'utf8');
    if (!readdirSync('/proc/self/task').some((task) => /[a-z]/.test(wchan(task)))) {
      throw new Error('this kernel does not show what threads wait on (/proc/*/wchan), so a parked pool cannot be seen');
    }
    while (!stop.aborted) {
      const waiting = readdirSync('/proc/self/task').filter((task) => {
        try {
          return before.has(task) && /lock|fcntl/.test(wchan(task));
        } catch {
          return false;
        }
      }).length;
      if (waiting >= threads) return;
      await delay(5);
    }
    return new Promise<void>(() => {});
  }

  parent.onMessage(({ id, command }) => {
    // Each command goes to its own op's handler: indexing by a union of ops loses that pairing.
    const handle = handlers[command.op] as (command: HostCommand, id: number) => Promise<HostResults[HostOp]>;
    handle(command, id).then(
      (result) => parent.post({ id, result }),
      (error: unknown) => parent.post({ id, error: { code: (error as NodeJS.ErrnoException).code, message: (error as Error).message } }),
    );
  });
}
