import { url as debuggerUrl } from 'node:inspector';
import { isMainThread, type Worker } from 'node:worker_threads';
import { directoriesToRemove } from '../../support/cleanup.js';
import { commonJsThread } from '../../support/eval-thread.js';

/**
 * Async actors run their adapters in the driver's own thread: an adapter that never returns from a
 * synchronous call (a busy-wait in `tryAcquire`) blocks the event loop, and with it every timer,
 * signal handler and clean-up of the run. Nothing in the blocked thread can notice. A watchdog
 * thread can: the driver's thread writes the time into a shared cell as it beats, and when the
 * last beat is older than the limit while actors are watched, the watchdog stops the running code
 * through the inspector (`Runtime.terminateExecution`, the interrupt a debugger uses), so the event
 * loop runs again and the run ends the normal way, with a fault report and its clean-up.
 */

/** Where the blocked code was, as the driver reports it. */
export interface BlockedLoop {
  /** The actor's action (`start`, `write`, …). */
  action: string;
  /** The adapter call that was running (`tryAcquire`, `save`, …). */
  call: string;
  /** True if the call was running when the loop stopped; false: it was the last to start. */
  inCall: boolean;
  ms: number;
}

export interface LoopWatch {
  /** Marks the start of a synchronous call into adapter code; returns what marks its end. */
  enter(action: string, call: string): () => void;
  /**
   * True when the loop stood still past the limit, and ran again, at `time` (a Date.now()) or
   * later. A timer that comes due in such a stall fires in the loop's first turn after it, before
   * the watchdog's report is read: what it times out is the block the report is about.
   */
  stalledSince(time: number): boolean;
  /** Stops watching (the actor is done). */
  stop(): void;
}

/**
 * The least time the loop must stand still before the watchdog acts, ms, whatever the action
 * timeout: a loop that is only slow (a loaded machine, a long GC) must not be taken for blocked.
 */
export const MIN_BLOCKED_MS = 2_000;

const ACTIONS = ['start', 'write', 'read', 'exit', 'resume', 'close', 'explore'];
const CALLS = ['create', 'tryAcquire', 'acquire', 'release', 'close', 'save', 'actor'];

// Cells of the shared array, one Int32 each. BEAT holds the time of the last beat, in ms since
// EPOCH (a Date.now() both threads know), so that staleness is measured from the beat itself.
const BEAT = 0;
const NOW_ID = 1;
const NOW_ACTION = 2;
const NOW_CALL = 3;
const LAST_ID = 4;
const LAST_ACTION = 5;
const LAST_CALL = 6;
const LIMIT_MS = 7;
// 1 while every watched actor may be interrupted; 0 when one may not (see `interruptible`).
const INTERRUPTIBLE = 8;
const CELLS = 9;

const BEAT_MS = 50;

// What the blocked main thread is asked to run when it cannot be interrupted: its exit, with the
// process's exit hooks (every child ended, every temporary directory removed). A process that
// exits inside an inspector's command has Node say "Waiting for the debugger to disconnect...",
// about a debugger nobody attached: standard error goes to /dev/null in the last exit listener,
// once the process's own have said what they say, and only if the exit goes on (a test runner's
// process.exit may throw instead). `require` is the inspector's command-line API's.
const EXIT = `(() => {
  let silence = () => {};
  try {
    const fs = require('node:fs');
    silence = () => {
      try {
        fs.closeSync(2);
        const fd = fs.openSync('/dev/null', 'w');
        if (fd !== 2) fs.closeSync(fd);
      } catch {}
    };
  } catch {}
  process.on('exit', silence);
  try {
    process.exit(1);
  } finally {
    process.off('exit', silence);
  }
})()`;

// The watchdog thread, as plain CommonJS: it must run without the build, and it must not depend
// on the blocked thread for anything. Every BEAT_MS it looks at the age of the last beat. Past the
// limit, while an actor is watched, it interrupts the main thread once and says so. Code blocked
// inside a native call (a kernel lock wait) cannot be interrupted: if the loop still stands after
// another limit, the watchdog ends the process, since the only alternative is a run that never
// ends. Where an interrupt is no remedy it acts at once: code of an explored actor (see
// `interruptible`) is asked to exit (EXIT), and a driver in a worker thread, which the inspector
// cannot reach (it connects to the main thread only, where an interrupt would stop the wrong
// code), is ended. An exit that has not come a limit later is given up on. Ending the process, the
// watchdog removes the temporary directories itself and sends SIGKILL. Any beat re-arms it.
const WATCHDOG = `
const { workerData, parentPort } = require('node:worker_threads');
const { rmSync, writeSync } = require('node:fs');
const cells = new Int32Array(workerData.buffer);
const epoch = workerData.epoch;
const mainThread = workerData.mainThread;
const [BEAT, NOW_ID, NOW_ACTION, NOW_CALL, LAST_ID, LAST_ACTION, LAST_CALL, LIMIT_MS, INTERRUPTIBLE] = [${[BEAT, NOW_ID, NOW_ACTION, NOW_CALL, LAST_ID, LAST_ACTION, LAST_CALL, LIMIT_MS, INTERRUPTIBLE].join(', ')}];
const ACTIONS = ${JSON.stringify(ACTIONS)};
const CALLS = ${JSON.stringify(CALLS)};
const EXIT = ${JSON.stringify(EXIT)};
let directories = [];
parentPort.on('message', (m) => (directories = m.directories));
// Connected only for one command, and at once disconnected: while a session is connected, the
// main thread would wait for it at exit.
let inspector;
try {
  inspector = require('node:inspector');
} catch {
  inspector = undefined;
}
function post(method, params) {
  const session = new inspector.Session();
  session.connectToMainThread();
  session.post(method, params, () => session.disconnect());
}
// A standard error that cannot be written (its reader gone) must not end the watchdog.
function say(text) {
  try {
    writeSync(2, text + '\\n');
  } catch {}
}
function end(text) {
  for (const dir of directories) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {}
  }
  say(text + 'its temporary files are removed and the process ends (SIGKILL)');
  process.kill(process.pid, 'SIGKILL');
}
let interruptedAt = -1;
let exitAsked;
setInterval(() => {
  const beat = Atomics.load(cells, BEAT);
  const limit = Atomics.load(cells, LIMIT_MS);
  const ms = Date.now() - epoch - beat;
  if (limit === 0 || ms <= limit) return;
  const inCall = Atomics.load(cells, NOW_ID) !== 0;
  const id = Atomics.load(cells, inCall ? NOW_ID : LAST_ID);
  if (id === 0) return;
  if (exitAsked && exitAsked.beat === beat) {
    if (Date.now() - exitAsked.at > limit) end('contend: the process did not exit within ' + limit + ' ms of being asked (a process.exit() that throws, or a native call); ');
    return;
  }
  const action = Atomics.load(cells, inCall ? NOW_ACTION : LAST_ACTION);
  const call = Atomics.load(cells, inCall ? NOW_CALL : LAST_CALL);
  const blocked = 'contend: an async actor blocked the event loop for ' + ms + ' ms in its ' + (CALLS[call] || 'adapter') + "() during '" + (ACTIONS[action] || 'start') + "', ";
  if (!mainThread) end(blocked + 'in a worker thread, which contend cannot interrupt; ');
  else if (!inspector) end(blocked + 'and this Node has no inspector to interrupt it; ');
  else if (Atomics.load(cells, INTERRUPTIBLE) === 0) {
    exitAsked = { beat, at: Date.now() };
    say(blocked + 'where it cannot be interrupted safely; the process exits with status 1, its temporary files removed');
    post('Runtime.evaluate', { expression: EXIT, includeCommandLineAPI: true });
  } else if (interruptedAt !== beat) {
    interruptedAt = beat;
    parentPort.postMessage({ id, action, call, inCall, ms });
    post('Runtime.terminateExecution', {});
  } else if (ms > 2 * limit) end(blocked + 'in a native call that cannot be interrupted; ');
}, ${BEAT_MS});
`;

interface Watched {
  limitMs: number;
  interruptible: boolean;
  onBlocked(blocked: BlockedLoop): void;
}

class LoopWatchdog {
  private readonly cells = new Int32Array(new SharedArrayBuffer(CELLS * Int32Array.BYTES_PER_ELEMENT));
  private readonly epoch = Date.now();
  private readonly watched = new Map<number, Watched>();
  private thread: Worker | undefined;
  private beating: NodeJS.Timeout | undefined;
  private nextId = 1;
  /** When the last stall past the limit ended, as a Date.now(); seen by the first beat after it. */
  private stallEnded = -1;

  watch(limitMs: number, onBlocked: (blocked: BlockedLoop) => void, interruptible: boolean): LoopWatch {
    const id = this.nextId++;
    this.watched.set(id, { limitMs: Math.max(limitMs, MIN_BLOCKED_MS), interruptible, onBlocked });
    this.update();
    // The directories to remove should the process have to be ended from the watchdog.
    this.thread?.postMessage({ directories: directoriesToRemove() });
    const cells = this.cells;
    return {
      enter(action, call) {
        Atomics.store(cells, NOW_ACTION, ACTIONS.indexOf(action));
        Atomics.store(cells, NOW_CALL, CALLS.indexOf(call));
        Atomics.store(cells, NOW_ID, id);
        Atomics.store(cells, LAST_ACTION, ACTIONS.indexOf(action));
        Atomics.store(cells, LAST_CALL, CALLS.indexOf(call));
        Atomics.store(cells, LAST_ID, id);
        return () => Atomics.store(cells, NOW_ID, 0);
      },
      stalledSince: (time) => this.stallEnded >= time,
      stop: () => {
        this.watched.delete(id);
        this.forget(id);
        this.update();
      },
    };
  }

  /** An interrupted call never ran its end: its marks are cleared here, so nothing is blamed on it later. */
  private forget(id: number): void {
    Atomics.compareExchange(this.cells, NOW_ID, id, 0);
    Atomics.compareExchange(this.cells, LAST_ID, id, 0);
  }

  private update(): void {
    const limits = [...this.watched.values()].map((w) => w.limitMs);
    Atomics.store(this.cells, LIMIT_MS, limits.length ? Math.min(...limits) : 0);
    Atomics.store(this.cells, INTERRUPTIBLE, [...this.watched.values()].every((w) => w.interruptible) ? 1 : 0);
    if (limits.length && !this.beating) {
      this.start();
      Atomics.store(this.cells, BEAT, Date.now() - this.epoch);
      // The beat's interval expired long before any timer of the stall, so it runs first when
      // the loop runs again, and sees the stall before anything timed in it is handled.
      const beat = (): void => {
        const now = Date.now();
        if (now - this.epoch - Atomics.load(this.cells, BEAT) > Atomics.load(this.cells, LIMIT_MS)) this.stallEnded = now;
        Atomics.store(this.cells, BEAT, now - this.epoch);
      };
      this.beating = setInterval(beat, BEAT_MS);
      this.beating.unref();
    } else if (!limits.length && this.beating) {
      clearInterval(this.beating);
      this.beating = undefined;
    }
  }

  private start(): void {
    if (this.thread) return;
    this.thread = commonJsThread(WATCHDOG, { workerData: { buffer: this.cells.buffer, epoch: this.epoch, mainThread: isMainThread } });
    this.thread.on('message', (m: { id: number; action: number; call: number; inCall: boolean; ms: number }) => {
      // The interrupt went through: the loop runs again, and the run ends with a fault.
      this.forget(m.id);
      this.watched.get(m.id)?.onBlocked({ action: ACTIONS[m.action] ?? 'start', call: CALLS[m.call] ?? 'create', inCall: m.inCall, ms: m.ms });
    });
    // Should the watchdog itself fail, the run goes on unwatched, as it did before it existed.
    this.thread.on('error', () => (this.thread = undefined));
    // After the listeners: adding one refs the thread's port again.
    this.thread.unref();
  }
}

let watchdog: LoopWatchdog | undefined;

const unwatched: LoopWatch = { enter: () => () => {}, stalledSince: () => false, stop: () => {} };

/**
 * Watches the event loop of this thread while an actor's adapter code may block it, for
 * `limitMs` (at least MIN_BLOCKED_MS). Not while a debugger is attached: a breakpoint stops the
 * loop too, and is no fault. `interruptible: false` for code run inside an async context of
 * AsyncLocalStorage (an explored actor): stopped there, Node's own bookkeeping of async contexts
 * is left unbalanced and the process aborts at its next callback, so such a block ends the
 * process at once (status 1), with its message and its temporary files removed. So does any block
 * of a driver outside the main thread, which the inspector cannot reach (SIGKILL: the main thread's
 * code is not contend's to end).
 */
export function watchLoop(limitMs: number, onBlocked: (blocked: BlockedLoop) => void, { interruptible = true } = {}): LoopWatch {
  if (debuggerUrl() !== undefined) return unwatched;
  watchdog ??= new LoopWatchdog();
  return watchdog.watch(limitMs, onBlocked, interruptible);
}
