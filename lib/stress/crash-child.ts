import { launch } from '../hosts/launch.js';
import type { CrashOrder, SaveReport } from './protocol.js';

export interface CrashChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  report?: SaveReport;
  /** How it ended (`killed by SIGKILL`, `could not start: …`), with the end of its stderr. */
  how: string;
}

/**
 * The longest one writer may live (its start and one save), ms: a writer that hangs (a save that
 * never settles, a node that cannot start its threads) is ended then, and that is an error.
 */
export const CRASH_WRITER_LIMIT_MS = 120_000;

/** Why a writer child's end proves nothing, if it does: it never ran, it did not finish, it crashed, or its save failed. */
export function writerFailure(strategy: string, end: CrashChildEnd, { killedByUs }: { killedByUs: boolean }): string | undefined {
  if (end.code === null && end.signal === null) return `the ${strategy} writer did not run: ${end.how}`;
  if (end.report?.error) return `${strategy} failed: ${end.report.error}`;
  if (end.signal === 'SIGKILL' && !killedByUs) return `the ${strategy} writer did not finish its save within ${CRASH_WRITER_LIMIT_MS} ms`;
  if (end.signal !== null && end.signal !== 'SIGKILL') return `the ${strategy} writer crashed: ${end.how}`;
  if (end.code !== null && end.code !== 0) return `the ${strategy} writer failed: ${end.how}`;
  return undefined;
}

export interface CrashChild {
  kill(): Promise<string>;
  /** The child is about to save (only with `announce`). */
  started: Promise<void>;
  ended: Promise<CrashChildEnd>;
}

/** Starts a writer child (workers/crash-writer) on one save, for crash points and the interrupted scenario. */
export function startCrashWriter(order: CrashOrder): CrashChild {
  // A crash writer runs a strategy and no lock: built in, it touches local files only (ownFileCode).
  const writer = launch('crash-writer', { keepStderr: 2_000, filesOnly: 'builtin' in order.strategy });
  let report: CrashChildEnd['report'];
  let onStart!: () => void;
  const started = new Promise<void>((resolve) => (onStart = resolve));
  writer.onMessage((m) => {
    if (m.type === 'started') onStart();
    else report = { steps: m.steps, ...(m.error ? { error: m.error } : {}) };
  });
  const limit = setTimeout(() => void writer.kill(), CRASH_WRITER_LIMIT_MS);
  // Closed rather than exited: the report may still be on the IPC channel when the process ends.
  const ended = Promise.all([writer.exited, writer.closed]).then(([how]) => ({
    code: writer.code,
    signal: writer.signal,
    how,
    ...(report ? { report } : {}),
  }));
  void ended.then(() => clearTimeout(limit));
  // If it could not be started, `ended` says so.
  writer.send(order);
  return { kill: () => writer.kill(), started, ended };
}
