import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Loaded when the first directory is registered: importing contend (which imports this module)
// loads no child_process, and with it net, dgram and the streams.
const childProcess = (): typeof import('node:child_process') => process.getBuiltinModule('node:child_process');

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

/** Registers what the exit hook and the cleaner both remove (`entry` as the cleaner names it); returns its unregistering. */
function removedAtExit(entry: string, remove: () => void): () => void {
  tellCleaner(`+${entry}`);
  const forget = onExitUndo(remove);
  return () => {
    tellCleaner(`-${entry}`);
    forget();
  };
}

/**
 * Removes a temporary directory at exit unless it was removed before, and also when this process
 * is killed by a signal no exit hook sees (SIGKILL, the OOM killer): see CLEANER.
 */
export function removeAtExit(dir: string): () => void {
  directories.add(dir);
  // Retried: a child just SIGKILLed may still finish the write it was in, into the directory.
  const forget = removedAtExit(dir, () => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 }));
  return () => {
    directories.delete(dir);
    forget();
  };
}

/**
 * Makes a temporary directory `<base>/<prefix>XXXXXX`, removed at exit unless removed before
 * (removeAtExit); returns it with the unregistering. Made synchronously and registered at once: a
 * directory made by an await could come into being after an exit that never learned of it, as
 * when `contend matrix 2>&1 | head -1` ends the CLI on EPIPE while a case's directory is on its way.
 */
export function tempDirectory(prefix: string, base = tmpdir()): { dir: string; forget: () => void } {
  const dir = mkdtempSync(join(base, prefix));
  return { dir, forget: removeAtExit(dir) };
}

/**
 * Removes a System V shared memory segment at exit, or when this process is killed: a server's
 * that is killed (PostgreSQL's interlock) cannot remove its own, and each would stay until reboot.
 * Returns what to call once its owner has ended: `removeNow` when it was killed (the segment is
 * removed then), not when it ended cleanly (it removed the segment itself).
 */
export function removeSharedMemoryAtExit(id: number): (removeNow: boolean) => void {
  const remove = (): void => void childProcess().spawnSync('ipcrm', ['-m', String(id)], { stdio: 'ignore' });
  const forget = removedAtExit(`shm:${id}`, remove);
  return (removeNow) => {
    if (removeNow) remove();
    forget();
  };
}

/*
 * The cleaner: a shell started with the first directory or segment, reading `+what` and `-what`
 * lines on a pipe from this process (a directory's path, or `shm:ID`). The pipe closes when this
 * process ends, however it ends; the shell then removes what is still listed and exits. It runs in
 * a session of its own, so that a kill of this process's group does not take it along. On a normal
 * exit the exit hooks have removed everything already, and its second try finds nothing (a
 * segment's id is not given again soon after its removal). A directory whose removal fails is
 * tried again (up to 5 times, 0.1 s apart): a child killed with this process may still be writing
 * its last file into it.
 */
const CLEANER = `set -f
IFS='
'
dirs=
while read -r line; do
  case "$line" in
    +*) dirs="$dirs
\${line#?}" ;;
    -*) kept=
      for d in $dirs; do [ "$d" = "\${line#?}" ] || kept="$kept
$d"; done
      dirs=$kept ;;
  esac
done
for d in $dirs; do
  case "$d" in
    shm:*) ipcrm -m "\${d#shm:}" 2>/dev/null ;;
    *) for try in 1 2 3 4 5; do rm -rf -- "$d" 2>/dev/null && break; sleep 0.1; done ;;
  esac
done`;

let cleaner: ChildProcess | null | undefined;

function tellCleaner(line: string): void {
  if (process.platform === 'win32') return;
  cleaner ??= startCleaner();
  if (cleaner?.stdin?.writable) cleaner.stdin.write(`${line}\n`);
}

function startCleaner(): ChildProcess | null {
  try {
    // Named in its argv (`contend-cleanup <pid>`), for whoever looks at the process list.
    const child = childProcess().spawn('sh', ['-c', CLEANER, 'contend-cleanup', String(process.pid)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    // A cleaner that could not start or was killed costs the last-resort removal only.
    child.on('error', () => {});
    child.stdin!.on('error', () => {});
    // Neither the shell nor its pipe may keep this process alive.
    child.unref();
    (child.stdin as unknown as { unref(): void }).unref();
    return child;
  } catch {
    return null;
  }
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
