import { rmSync } from 'node:fs';

/**
 * Last-resort clean-up: whatever way the driver's process ends — a normal exit, process.exit(), or
 * a signal turned into one by exitOnSignals() — the undo steps registered here run, synchronously.
 * Normal paths clean up on their own; this is for the paths that never reach their finally.
 */
const undo = new Set<() => void>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    // Last registered, first undone: the children a run started are killed before the directory
    // they write into is removed, as the run's own finally would do it.
    for (const step of [...undo].reverse()) {
      try {
        step();
      } catch {
        // keep undoing the rest
      }
    }
  });
}

/** Registers an undo step; returns the function that unregisters it once done the normal way. */
export function onExitUndo(step: () => void): () => void {
  install();
  undo.add(step);
  return () => undo.delete(step);
}

const directories = new Set<string>();

/** Removes a temporary directory at exit unless it was removed before. */
export function removeAtExit(dir: string): () => void {
  directories.add(dir);
  // Retried: a child just SIGKILLed may still finish the write it was in, into the directory.
  const forget = onExitUndo(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 }));
  return () => {
    directories.delete(dir);
    return forget();
  };
}

/** The temporary directories still to be removed: for a watchdog that may have to end the process itself. */
export function directoriesToRemove(): string[] {
  return [...directories];
}

/** Turns SIGINT and SIGTERM into an exit, so the undo steps run (by default a signal skips them). */
export function exitOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
  }
}
