import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import fsPromises from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

/** One file-system step a writer took: `open`, `write`, `fsync`, `rename`, … */
export interface FsStep {
  op: string;
  /** Paths and sizes involved: `<path> (w)`, `16384 B to <path>`, `<from> → <to>`. */
  detail: string;
  /** A synchronous call (`renameSync`): it cannot be held at a pause point. */
  sync?: true;
}

/**
 * Runs just before a step. Returning a promise holds the step until it settles — possible only for
 * the callback (async) forms of fs; a sync call cannot be held and goes on at once.
 */
type Hook = (step: FsStep) => void | Promise<void>;

// A save's own hook, for several savers in one thread (async actors): it follows the save's
// callbacks and promises, so each step is announced to the save that made it.
const scoped = new AsyncLocalStorage<Hook>();

// Calls that change what is on disk, or make it durable. Reads and stats are not steps.
const STEPS = ['open', 'write', 'writev', 'writeFile', 'appendFile', 'fsync', 'fdatasync', 'close', 'rename', 'unlink', 'rm', 'ftruncate', 'truncate', 'mkdir', 'rmdir', 'copyFile', 'link', 'symlink', 'chmod', 'fchmod', 'chown', 'fchown'] as const;

const WHOLE_FILE = new Set<string>(['writeFile', 'appendFile']);

let hook: Hook | undefined;
const fdPaths = new Map<number, string>();

function describe(op: string, args: unknown[]): string {
  const path = (v: unknown): string => (typeof v === 'number' ? (fdPaths.get(v) ?? `fd ${v}`) : String(v));
  switch (op) {
    case 'open':
      return `${path(args[0])} (${typeof args[1] === 'string' ? args[1] : typeof args[1] === 'number' ? `flags ${args[1]}` : 'r'})`;
    case 'writeFile':
    case 'appendFile': {
      const data = args[1];
      const bytes = typeof data === 'string' ? Buffer.byteLength(data) : ArrayBuffer.isView(data) ? data.byteLength : 0;
      return `${bytes} B to ${path(args[0])}`;
    }
    case 'write': {
      const data = args[1];
      const bytes = typeof data === 'string' ? Buffer.byteLength(data) : ArrayBuffer.isView(data) ? (typeof args[3] === 'number' ? args[3] : data.byteLength) : 0;
      return `${bytes} B to ${path(args[0])}`;
    }
    case 'rename':
    case 'copyFile':
    case 'link':
    case 'symlink':
      return `${path(args[0])} → ${path(args[1])}`;
    default:
      return path(args[0]);
  }
}

function announce(op: string, args: unknown[], sync = false): void | Promise<void> {
  const current = scoped.getStore() ?? hook;
  return current?.({ op, detail: describe(op, args), ...(sync ? { sync: true as const } : {}) });
}

type AnyFn = (...args: unknown[]) => unknown;

/**
 * Sends the steps of this thread's saves to `onStep` (see installFsTrace), until the returned
 * function is called.
 */
export function traceFs(onStep: Hook): () => void {
  installFsTrace();
  hook = onStep;
  return () => {
    if (hook === onStep) hook = undefined;
  };
}

/** Runs `save` with its own step hook (see Hook), leaving other saves of the thread alone. */
export function withStepHook<T>(onStep: Hook, save: () => T): T {
  installFsTrace();
  return scoped.run(onStep, save);
}

// A wrapper keeps what Node hangs on the original (the markers util.promisify reads, so that
// promisify(fs.write) still resolves to { bytesWritten, buffer }), and its name and length.
function like(original: AnyFn, wrapper: AnyFn): AnyFn {
  Object.defineProperties(wrapper, Object.getOwnPropertyDescriptors(original));
  return wrapper;
}

// FileHandle methods that are steps, by the step they are.
const HANDLE_STEPS: Record<string, string> = { write: 'write', writev: 'writev', writeFile: 'writeFile', appendFile: 'appendFile', sync: 'fsync', datasync: 'fdatasync', truncate: 'ftruncate', chmod: 'fchmod', chown: 'fchown', close: 'close' };
const handlePaths = new WeakMap<object, string>();
let handlesTraced = false;

// FileHandle's class is not exported: its methods are wrapped on the prototype of the first one
// fs/promises opens, which is before any of them can be called.
function traceHandles(handle: object): void {
  if (handlesTraced) return;
  handlesTraced = true;
  const proto = Object.getPrototypeOf(handle) as Record<string, AnyFn>;
  for (const [method, op] of Object.entries(HANDLE_STEPS)) {
    const original = proto[method];
    if (typeof original !== 'function') continue;
    proto[method] = like(original, async function (this: object, ...args: unknown[]) {
      // Handles fs/promises opens for itself (inside its readFile, writeFile) stay inside their step.
      const path = handlePaths.get(this);
      if (path !== undefined) await announce(op, [path, ...args]);
      return original.apply(this, args);
    });
  }
}

let installed = false;

/**
 * Routes the mutating calls of `fs` (sync and callback forms) and `fs/promises` of this thread
 * through the step hooks, which run just before each call. ESM named imports see the wrapped
 * functions too, and so does a library that captures an fs function when it loads (atomically,
 * through stubborn-fs) if it loads after this: so it goes in before any writer's code loads. The
 * write registry installs it before it imports a user's module, the strategies that wrap an npm
 * library before loading it (writes/library.ts), actors and the audit host when they start, and
 * the step hooks when they are set. Importing contend never does: a user's fs stays their own until they run something that traces. Calls
 * without a hook go straight through. What fs does through its own internal references is not
 * seen: writeFile's inner open and write are one `writeFile` step. The methods of a FileHandle
 * opened through fs/promises are steps too. Once per thread; later calls do nothing.
 */
export function installFsTrace(): void {
  if (installed) return;
  installed = true;
  const table = fs as unknown as Record<string, AnyFn>;
  for (const op of STEPS) {
    const sync = table[`${op}Sync`];
    if (sync) {
      table[`${op}Sync`] = like(sync, function (this: unknown, ...args: unknown[]) {
        // A synchronous call cannot wait: a pause asked of one fails the save, plainly.
        if (announce(op, args, true)) throw cannotPauseSync(op);
        const result = sync.apply(this, args);
        if (op === 'open') fdPaths.set(result as number, String(args[0]));
        if (op === 'close') fdPaths.delete(args[0] as number);
        return result;
      });
    }
    const callback = table[op];
    // The callback writeFile goes through fs.open, fs.write, fs.close, which are steps already.
    if (callback && !WHOLE_FILE.has(op)) {
      table[op] = like(callback, function (this: unknown, ...args: unknown[]) {
        const last = args.length - 1;
        const done = args[last];
        if (typeof done === 'function' && (op === 'open' || op === 'close')) {
          args[last] = (error: unknown, fd: unknown) => {
            if (!error && op === 'open') fdPaths.set(fd as number, String(args[0]));
            if (!error && op === 'close') fdPaths.delete(args[0] as number);
            (done as AnyFn)(error, fd);
          };
        }
        const gate = announce(op, args);
        if (!gate) return callback.apply(this, args);
        const fail = (error: unknown): void => {
          if (typeof done === 'function') (done as AnyFn)(error);
        };
        gate.then(() => {
          // Thrown now, a bad argument would otherwise leave the step without an answer.
          try {
            callback.apply(this, args);
          } catch (error) {
            fail(error);
          }
        }, fail);
        return undefined;
      });
    }
  }
  const promises = fsPromises as unknown as Record<string, AnyFn>;
  for (const op of STEPS) {
    const original = promises[op];
    if (!original) continue;
    promises[op] = like(original, async function (this: unknown, ...args: unknown[]) {
      await announce(op, args);
      const result = await original.apply(this, args);
      if (op === 'open' && result && typeof result === 'object') {
        traceHandles(result);
        handlePaths.set(result, String(args[0]));
      }
      return result;
    });
  }
  syncBuiltinESMExports();
}

/** Why a save fails when a pause point falls on a synchronous call. */
export function cannotPauseSync(op: string): Error {
  return new Error(`cannot pause at ${op}Sync: a pause point needs the step made through fs's callback or promise form`);
}

/** Whether a save's steps show it writing anything: without, the trace did not see the save at all. */
export function seesSave(steps: readonly FsStep[]): boolean {
  return steps.some((s) => ['write', 'writev', 'writeFile', 'appendFile', 'rename', 'copyFile'].includes(s.op));
}

/** A step that is not an `fs` call (a global `sync`), announced to the trace like one. */
export async function tracedStep<T>(op: string, detail: string, run: () => T): Promise<T> {
  await (scoped.getStore() ?? hook)?.({ op, detail });
  return run();
}
