import fs from 'node:fs';
import fsPromises from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

/** One call into `fs` or `fs/promises`, as the hooks of this thread see it. */
export interface FsCall {
  /** The call's name without `Sync`: `open`, `readFile`, `rename`, `stat`, `exists`; a FileHandle's `sync` is `fsync`. */
  op: string;
  /** Its arguments as given (a FileHandle method's start with the handle's path). */
  args: unknown[];
  /** `external`: not fs's own call, passed through the hooks like a synchronous one (externalCall). */
  form: 'sync' | 'callback' | 'promise' | 'handle' | 'external';
  /** The paths it names; a file descriptor or FileHandle stands for the path it was opened with. */
  paths: string[];
  /**
   * Made by fs itself inside another call the hooks saw (readFileSync's own openSync and readSync):
   * part of that call, not a call of the program's.
   */
  nested: boolean;
}

/** How a call ended: its result (an fd, a FileHandle, bytes written), or its error. */
export interface CallOutcome {
  result?: unknown;
  error?: unknown;
}

export interface FsCallHook {
  /**
   * Runs just before the call. A promise returned holds a callback, promise or FileHandle call
   * until it settles (a rejection fails the call with its reason). A synchronous call cannot wait
   * on a promise: a hook that wants to hold one blocks the thread itself, and a promise it returns
   * for one fails the call.
   */
  before?(call: FsCall): void | Promise<void>;
  /** Once the call has finished: returned, called back, or settled, with what it gave or why it failed. */
  after?(call: FsCall, outcome: CallOutcome): void;
}

export function holdSyncMessage(op: string): string {
  return `cannot pause at ${op}Sync: a pause point needs the step made through fs's callback or promise form`;
}

// Calls that name a file or directory, or a descriptor of one. Reads count as much as writes:
// a check (existsSync) is where a check-then-act race starts.
const OPS = [
  'access', 'exists', 'stat', 'lstat', 'fstat', 'readFile', 'read', 'readv', 'readdir', 'readlink', 'realpath',
  'open', 'write', 'writev', 'writeFile', 'appendFile', 'fsync', 'fdatasync', 'close', 'rename', 'unlink', 'rm',
  'ftruncate', 'truncate', 'mkdir', 'mkdtemp', 'rmdir', 'copyFile', 'link', 'symlink', 'chmod', 'fchmod',
  'chown', 'fchown', 'utimes', 'futimes', 'lutimes',
] as const;

// Callback forms fs builds from other callback calls it makes through its own exports (writeFile
// opens, writes and closes through fs.open, fs.write, fs.close; exists calls fs.access): those
// inner calls are the ones seen, one each.
const COMPOSED_CALLBACKS = new Set<string>(['writeFile', 'appendFile', 'exists']);

// Calls whose arguments name two paths.
const TWO_PATHS = new Set<string>(['rename', 'copyFile', 'link', 'symlink']);

// FileHandle methods, by the call they are.
const HANDLE_CALLS: Record<string, string> = {
  read: 'read', readv: 'readv', readFile: 'readFile', stat: 'fstat', write: 'write', writev: 'writev', writeFile: 'writeFile',
  appendFile: 'appendFile', sync: 'fsync', datasync: 'fdatasync', truncate: 'ftruncate', chmod: 'fchmod', chown: 'fchown',
  utimes: 'futimes', close: 'close',
};

type AnyFn = (...args: unknown[]) => unknown;

const hooks: FsCallHook[] = [];
const fdPaths = new Map<number, string>();
const handlePaths = new WeakMap<object, string>();
let syncDepth = 0;

/** The path a call's argument names: a path as given, or the path a descriptor was opened with. */
export function pathOf(value: unknown): string {
  if (typeof value === 'number') return fdPaths.get(value) ?? `fd ${value}`;
  if (value instanceof URL) return value.pathname;
  return Buffer.isBuffer(value) ? value.toString() : String(value);
}

function callOf(op: string, args: unknown[], form: FsCall['form']): FsCall {
  const paths = [pathOf(args[0])];
  if (TWO_PATHS.has(op)) paths.push(pathOf(args[1]));
  return { op, args, form, paths, nested: form === 'sync' ? syncDepth > 0 : false };
}

// Every hook's before, in order; a promise from one waits for those before it.
function before(call: FsCall): void | Promise<void> {
  let pending: Promise<void> | undefined;
  for (const hook of hooks) {
    pending = pending ? pending.then(() => hook.before?.(call)) : (hook.before?.(call) ?? undefined);
  }
  return pending;
}

function after(call: FsCall, outcome: CallOutcome): void {
  for (const hook of hooks) hook.after?.(call, outcome);
}

/** Runs a synchronous call, then tells the hooks how it ended. */
function observed<T>(call: FsCall, run: () => T): T {
  const outcome: CallOutcome = {};
  try {
    return (outcome.result = run());
  } catch (error) {
    outcome.error = error;
    throw error;
  } finally {
    after(call, outcome);
  }
}

/** Awaits an asynchronous call, then tells the hooks how it settled. */
async function observedAsync<T>(call: FsCall, run: () => Promise<T>): Promise<T> {
  const outcome: CallOutcome = {};
  try {
    return (outcome.result = await run());
  } catch (error) {
    outcome.error = error;
    throw error;
  } finally {
    after(call, outcome);
  }
}

/**
 * Adds a hook that every traced fs call of this thread passes (see installFsCalls), until the
 * returned function is called.
 */
export function addFsCallHook(hook: FsCallHook): () => void {
  installFsCalls();
  hooks.push(hook);
  return () => {
    const at = hooks.indexOf(hook);
    if (at >= 0) hooks.splice(at, 1);
  };
}

// A wrapper keeps what Node hangs on the original (the markers util.promisify reads, so that
// promisify(fs.write) still resolves to { bytesWritten, buffer }; realpath's .native), and its
// name and length.
function like(original: AnyFn, wrapper: AnyFn): AnyFn {
  Object.defineProperties(wrapper, Object.getOwnPropertyDescriptors(original));
  return wrapper;
}

function remember(op: string, args: unknown[], result: unknown): void {
  if (op === 'open' && typeof result === 'number') fdPaths.set(result, pathOf(args[0]));
  if (op === 'close') fdPaths.delete(args[0] as number);
}

function wrapSync(op: string, original: AnyFn): AnyFn {
  return like(original, function (this: unknown, ...args: unknown[]) {
    const call = callOf(op, args, 'sync');
    if (before(call)) throw new Error(holdSyncMessage(op));
    return observed(call, () => {
      syncDepth++;
      try {
        const result = original.apply(this, args);
        remember(op, args, result);
        return result;
      } finally {
        syncDepth--;
      }
    });
  });
}

function wrapCallback(op: string, original: AnyFn): AnyFn {
  return like(original, function (this: unknown, ...args: unknown[]) {
    const last = args.length - 1;
    const done = args[last];
    const call = callOf(op, args, 'callback');
    if (typeof done === 'function') {
      args[last] = (error: unknown, ...results: unknown[]) => {
        if (!error) remember(op, args, results[0]);
        after(call, error ? { error } : { result: results[0] });
        (done as AnyFn)(error, ...results);
      };
    }
    const gate = before(call);
    if (!gate) return original.apply(this, args);
    const fail = (error: unknown): void => {
      if (typeof done === 'function') (done as AnyFn)(error);
    };
    gate.then(() => {
      // Thrown now, a bad argument would otherwise leave the call without an answer.
      try {
        original.apply(this, args);
      } catch (error) {
        fail(error);
      }
    }, fail);
    return undefined;
  });
}

function wrapPromise(op: string, original: AnyFn): AnyFn {
  return like(original, async function (this: unknown, ...args: unknown[]) {
    const call = callOf(op, args, 'promise');
    await before(call);
    return observedAsync(call, async () => {
      const result = await original.apply(this, args);
      if (op === 'open' && result && typeof result === 'object') {
        wrapHandles(result);
        wrapOwnMethods(result);
        handlePaths.set(result, pathOf(args[0]));
      }
      return result;
    });
  });
}

let handlesWrapped = false;

// FileHandle's class is not exported: its methods are wrapped on the prototype of the first one
// fs/promises opens, which is before any of them can be called.
function wrapHandles(handle: object): void {
  if (handlesWrapped) return;
  handlesWrapped = true;
  const proto = Object.getPrototypeOf(handle) as Record<string, AnyFn>;
  wrapHandleMethods(proto, (method) => typeof proto[method] === 'function');
}

// Node 20 makes a FileHandle's `close` a field of each handle (an arrow function), not a method
// of its prototype: it is wrapped on each handle opened.
function wrapOwnMethods(handle: object): void {
  wrapHandleMethods(handle as Record<string, AnyFn>, (method) => Object.hasOwn(handle, method) && typeof (handle as Record<string, unknown>)[method] === 'function');
}

function wrapHandleMethods(target: Record<string, AnyFn>, has: (method: string) => boolean): void {
  for (const [method, op] of Object.entries(HANDLE_CALLS)) {
    if (!has(method)) continue;
    const original = target[method]!;
    target[method] = like(original, async function (this: object, ...args: unknown[]) {
      // Handles fs/promises opens for itself (inside its readFile, writeFile) stay inside their call.
      const path = handlePaths.get(this);
      if (path === undefined) return original.apply(this, args);
      const call = callOf(op, [path, ...args], 'handle');
      await before(call);
      return observedAsync(call, async () => original.apply(this, args));
    });
  }
}

/**
 * A synchronous call that is not fs's but acts on files (sync(1) run by a write strategy), passed
 * through the hooks like one: `op` names it, and it names no path.
 */
export function externalCall<T>(op: string, run: () => T): T {
  const call: FsCall = { op, args: [], form: 'external', paths: [], nested: syncDepth > 0 };
  if (before(call)) throw new Error(holdSyncMessage(op));
  return observed(call, run);
}

let installed = false;

/**
 * Routes this thread's calls of `fs` (sync and callback forms) and `fs/promises` (and the methods
 * of the FileHandles it opens) through the hooks added with addFsCallHook. ESM named imports see
 * the wrapped functions too, and so does a library that captures fs functions when it loads
 * (graceful-fs, stubborn-fs) if it loads after this: so it goes in before such code loads.
 * Importing contend never does it. Calls go straight through while no hook is added. What fs does
 * through its internal references is not seen (the promise writeFile's own open and write), and
 * neither is a native addon's I/O. Once per thread; later calls do nothing.
 */
export function installFsCalls(): void {
  if (installed) return;
  installed = true;
  const table = fs as unknown as Record<string, AnyFn>;
  for (const op of OPS) {
    const sync = table[`${op}Sync`];
    if (sync) table[`${op}Sync`] = wrapSync(op, sync);
    const callback = table[op];
    if (callback && !COMPOSED_CALLBACKS.has(op)) table[op] = wrapCallback(op, callback);
  }
  const promises = fsPromises as unknown as Record<string, AnyFn>;
  for (const op of OPS) {
    const original = promises[op];
    if (original) promises[op] = wrapPromise(op, original);
  }
  syncBuiltinESMExports();
}
