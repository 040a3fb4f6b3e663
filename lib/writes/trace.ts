import { AsyncLocalStorage } from 'node:async_hooks';
import { addFsCallHook, externalCall, holdSyncMessage, installFsCalls, pathOf, type FsCall } from '../support/fs-calls.js';

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
const STEPS = new Set<string>(['open', 'write', 'writev', 'writeFile', 'appendFile', 'fsync', 'fdatasync', 'close', 'rename', 'unlink', 'rm', 'ftruncate', 'truncate', 'mkdir', 'rmdir', 'copyFile', 'link', 'symlink', 'chmod', 'fchmod', 'chown', 'fchown']);

let hook: Hook | undefined;

function describe(op: string, args: unknown[]): string {
  switch (op) {
    case 'open':
      return `${pathOf(args[0])} (${typeof args[1] === 'string' ? args[1] : typeof args[1] === 'number' ? `flags ${args[1]}` : 'r'})`;
    case 'writeFile':
    case 'appendFile': {
      const data = args[1];
      const bytes = typeof data === 'string' ? Buffer.byteLength(data) : ArrayBuffer.isView(data) ? data.byteLength : 0;
      return `${bytes} B to ${pathOf(args[0])}`;
    }
    case 'write': {
      const data = args[1];
      const bytes = typeof data === 'string' ? Buffer.byteLength(data) : ArrayBuffer.isView(data) ? (typeof args[3] === 'number' ? args[3] : data.byteLength) : 0;
      return `${bytes} B to ${pathOf(args[0])}`;
    }
    case 'rename':
    case 'copyFile':
    case 'link':
    case 'symlink':
      return `${pathOf(args[0])} → ${pathOf(args[1])}`;
    default:
      return pathOf(args[0]);
  }
}

// The step hooks' view of fs calls: the mutating ones, described.
function announce(call: FsCall): void | Promise<void> {
  const current = scoped.getStore() ?? hook;
  if (!current || !STEPS.has(call.op)) return undefined;
  return current({ op: call.op, detail: describe(call.op, call.args), ...(call.form === 'sync' ? { sync: true as const } : {}) });
}

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

let installed = false;

/**
 * Routes the mutating calls of `fs` (sync and callback forms), of `fs/promises` and of its
 * FileHandles through the step hooks, which run just before each call (support/fs-calls.ts does
 * the routing). It goes in before any writer's code loads, so that a library capturing fs when it
 * loads (atomically, through stubborn-fs) captures the routed functions: the write registry
 * installs it before it imports a user's module, the strategies that wrap an npm library before
 * loading it (writes/library.ts), actors and the audit host when they start, and the step hooks
 * when they are set. Importing contend never does: a user's fs stays their own until they run
 * something that traces. What fs does through its own internal references is not seen:
 * writeFile's inner open and write are one `writeFile` step. Once per thread.
 */
export function installFsTrace(): void {
  if (installed) return;
  installed = true;
  installFsCalls();
  addFsCallHook({ before: announce });
}

/** Why a save fails when a pause point falls on a synchronous call. */
export function cannotPauseSync(op: string): Error {
  return new Error(holdSyncMessage(op));
}

/** Whether a save's steps show it writing anything: without, the trace did not see the save at all. */
export function seesSave(steps: readonly FsStep[]): boolean {
  return steps.some((s) => ['write', 'writev', 'writeFile', 'appendFile', 'rename', 'copyFile'].includes(s.op));
}

/** A step that is not an `fs` call (a global `sync`), announced to the trace like one. */
export async function tracedStep<T>(op: string, detail: string, run: () => T): Promise<T> {
  await (scoped.getStore() ?? hook)?.({ op, detail });
  return externalCall(op, run);
}
