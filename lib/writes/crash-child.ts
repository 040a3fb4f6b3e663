import { fork, type ChildProcess } from 'node:child_process';
import type { CrashOrder } from '../../workers/crash-writer.js';
import { hostEntry } from '../paths.js';
import type { FsStep } from './trace.js';

export interface CrashChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The steps of a save that ran to its end (or failed: then `error`). */
  report?: { steps: FsStep[]; error?: string };
  /** The end of what the child wrote to stderr. */
  stderr: string;
}

export interface CrashChild {
  child: ChildProcess;
  /** The child is about to save (only with `announce`). */
  started: Promise<void>;
  ended: Promise<CrashChildEnd>;
}

/** Starts a writer child (workers/crash-writer) on one save, for crash points and the interrupted scenario. */
export function startCrashWriter(order: CrashOrder): CrashChild {
  const child = fork(hostEntry('crash-writer'), [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr = (stderr + c).slice(-2000)));
  let report: CrashChildEnd['report'];
  let onStart!: () => void;
  const started = new Promise<void>((resolve) => (onStart = resolve));
  child.on('message', (m: { type?: string; steps?: FsStep[]; error?: string }) => {
    if (m.type === 'started') onStart();
    else report = { steps: m.steps ?? [], ...(m.error ? { error: m.error } : {}) };
  });
  // 'close' rather than 'exit': the report may still be on the IPC channel when the process ends.
  const ended = new Promise<CrashChildEnd>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stderr: stderr.trim(), ...(report ? { report } : {}) })),
  );
  child.send(order);
  return { child, started, ended };
}
