import { url as debuggerUrl } from 'node:inspector';
import { Worker } from 'node:worker_threads';

/**
 * Async actors run their adapters in the driver's own thread: an adapter that never returns from a
 * synchronous call (a busy-wait in `tryAcquire`) blocks the event loop, and with it every timer,
 * signal handler and clean-up of the run. Nothing in the blocked thread can notice. A watchdog
 * thread can: the driver's thread beats a shared counter, and when the beat stops for longer than
 * the action may take while adapter code runs, the watchdog stops that code through the inspector
 * (`Runtime.terminateExecution`, the interrupt a debugger uses), so the event loop runs again and the
 * run ends the normal way, with a fault report and its clean-up.
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
  /** Stops watching (the actor is done). */
  stop(): void;
}

const ACTIONS = ['start', 'write', 'read', 'exit', 'resume', 'close'];
const CALLS = ['create', 'tryAcquire', 'acquire', 'release', 'close', 'save'];

// Cells of the shared array, one Int32 each.
const BEAT = 0;
const NOW_ID = 1;
const NOW_ACTION = 2;
const NOW_CALL = 3;
const LAST_ID = 4;
const LAST_ACTION = 5;
const LAST_CALL = 6;
const LIMIT_MS = 7;
const CELLS = 8;

const BEAT_MS = 50;

// The watchdog thread, as plain CommonJS: it must run without the build, and it must not depend
// on the blocked thread for anything. It looks every BEAT_MS. When the beat has not moved for
// longer than the limit while an actor is watched, it interrupts the main thread once and says so.
// Code blocked inside a native call (a kernel lock wait) cannot be interrupted; if the beat is
// still stopped after another limit, the watchdog says so on stderr and ends the process, since
// the only alternative is a run that never ends. Any beat re-arms it.
const WATCHDOG = `
const { workerData, parentPort } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const cells = new Int32Array(workerData.buffer);
const [BEAT, NOW_ID, NOW_ACTION, NOW_CALL, LAST_ID, LAST_ACTION, LAST_CALL, LIMIT_MS] = [${[BEAT, NOW_ID, NOW_ACTION, NOW_CALL, LAST_ID, LAST_ACTION, LAST_CALL, LIMIT_MS].join(', ')}];
const ACTIONS = ${JSON.stringify(ACTIONS)};
const CALLS = ${JSON.stringify(CALLS)};
// Connected only to interrupt, and at once disconnected: while a session is connected, the main
// thread would wait for it at exit.
let inspector;
try {
  inspector = require('node:inspector');
} catch {
  inspector = undefined;
}
function interrupt() {
  const session = new inspector.Session();
  session.connectToMainThread();
  session.post('Runtime.terminateExecution', () => session.disconnect());
}
let beat = Atomics.load(cells, BEAT);
let since = Date.now();
let interrupted = false;
setInterval(() => {
  const now = Atomics.load(cells, BEAT);
  const limit = Atomics.load(cells, LIMIT_MS);
  if (now !== beat || limit === 0) {
    beat = now;
    since = Date.now();
    interrupted = false;
    return;
  }
  const ms = Date.now() - since;
  if (ms <= limit) return;
  const inCall = Atomics.load(cells, NOW_ID) !== 0;
  const id = Atomics.load(cells, inCall ? NOW_ID : LAST_ID);
  const action = Atomics.load(cells, inCall ? NOW_ACTION : LAST_ACTION);
  const call = Atomics.load(cells, inCall ? NOW_CALL : LAST_CALL);
  if (inspector && !interrupted) {
    interrupted = true;
    parentPort.postMessage({ id, action, call, inCall, ms });
    interrupt();
  } else if (!inspector || ms > 2 * limit) {
    writeSync(2, 'contend: an actor blocked the event loop for ' + ms + ' ms in its ' + (CALLS[call] || 'adapter') + "() during '" + (ACTIONS[action] || 'start') + "', in a native call that cannot be interrupted; ending the process\\n");
    process.kill(process.pid, 'SIGKILL');
  }
}, ${BEAT_MS});
`;

interface Watched {
  limitMs: number;
  onBlocked(blocked: BlockedLoop): void;
}

class LoopWatchdog {
  private readonly cells = new Int32Array(new SharedArrayBuffer(CELLS * Int32Array.BYTES_PER_ELEMENT));
  private readonly watched = new Map<number, Watched>();
  private thread: Worker | undefined;
  private beating: NodeJS.Timeout | undefined;
  private nextId = 1;

  watch(limitMs: number, onBlocked: (blocked: BlockedLoop) => void): LoopWatch {
    const id = this.nextId++;
    this.watched.set(id, { limitMs, onBlocked });
    this.update();
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
      stop: () => {
        this.watched.delete(id);
        this.update();
      },
    };
  }

  private update(): void {
    const limits = [...this.watched.values()].map((w) => w.limitMs);
    Atomics.store(this.cells, LIMIT_MS, limits.length ? Math.max(1, Math.min(...limits)) : 0);
    if (limits.length && !this.beating) {
      this.start();
      this.beating = setInterval(() => Atomics.add(this.cells, BEAT, 1), BEAT_MS);
      this.beating.unref();
    } else if (!limits.length && this.beating) {
      clearInterval(this.beating);
      this.beating = undefined;
    }
  }

  private start(): void {
    if (this.thread) return;
    this.thread = new Worker(WATCHDOG, { eval: true, workerData: { buffer: this.cells.buffer } });
    this.thread.on('message', (m: { id: number; action: number; call: number; inCall: boolean; ms: number }) => {
      // The interrupt went through: the loop runs again, and the run ends with a fault.
      this.watched.get(m.id)?.onBlocked({ action: ACTIONS[m.action] ?? 'start', call: CALLS[m.call] ?? 'create', inCall: m.inCall, ms: m.ms });
    });
    // Should the watchdog itself fail, the run goes on unwatched, as it did before it existed.
    this.thread.on('error', () => (this.thread = undefined));
    // After the listeners: adding one refs the thread's port again.
    this.thread.unref();
  }
}

let watchdog: LoopWatchdog | undefined;

const unwatched: LoopWatch = { enter: () => () => {}, stop: () => {} };

/**
 * Watches the event loop of this thread while an actor's adapter code may block it. Not while a
 * debugger is attached: a breakpoint stops the loop too, and is no fault.
 */
export function watchLoop(limitMs: number, onBlocked: (blocked: BlockedLoop) => void): LoopWatch {
  if (debuggerUrl() !== undefined) return unwatched;
  watchdog ??= new LoopWatchdog();
  return watchdog.watch(limitMs, onBlocked);
}
