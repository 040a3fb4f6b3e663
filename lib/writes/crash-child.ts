import type { ChildProcess } from 'node:child_process';
import { launch } from '../kinds/launch.js';
import type { CrashOrder } from '../../workers/crash-writer.js';
import { hostEntry } from '../paths.js';
import type { FsStep } from './trace.js';

export interface CrashChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The steps of a save that ran to its end (or failed: then `error`). */
  report?: { steps: FsStep[]; error?: string };
  /** How it ended (`killed by SIGKILL`, `could not start: …`), with the end of its stderr. */
  how: string;
}

export interface CrashChild {
  child: ChildProcess;
  kill(): Promise<string>;
  /** The child is about to save (only with `announce`). */
  started: Promise<void>;
  ended: Promise<CrashChildEnd>;
}

/** Starts a writer child (workers/crash-writer) on one save, for crash points and the interrupted scenario. */
export function startCrashWriter(order: CrashOrder): CrashChild {
  const writer = launch(hostEntry('crash-writer'), { keepStderr: 2_000 });
  const { child } = writer;
  let report: CrashChildEnd['report'];
  let onStart!: () => void;
  const started = new Promise<void>((resolve) => (onStart = resolve));
  child.on('message', (m: { type?: string; steps?: FsStep[]; error?: string }) => {
    if (m.type === 'started') onStart();
    else report = { steps: m.steps ?? [], ...(m.error ? { error: m.error } : {}) };
  });
  // Closed rather than exited: the report may still be on the IPC channel when the process ends.
  const ended = Promise.all([writer.exited, writer.closed]).then(([how]) => ({
    code: child.exitCode,
    signal: child.signalCode,
    how,
    ...(report ? { report } : {}),
  }));
  try {
    child.send(order);
  } catch {
    // it could not be started: `ended` says so
  }
  return { child, kill: () => writer.kill(), started, ended };
}
