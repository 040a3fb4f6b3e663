import { closeSync, constants, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ContendError, InvalidOptionError } from '../errors.js';

/**
 * Output paths are checked before a run of minutes, not after it: a report that cannot be written
 * is bad input, said in one line before any work starts. Checks try what the write will do (open
 * for appending, create a file in the directory) rather than reason about permissions, which
 * cannot see read-only mounts or /proc.
 */

/** `other`: a device, pipe or socket, which may take a report too (`--json /dev/stdout`). */
function kindOf(path: string): 'file' | 'directory' | 'other' | 'missing' {
  try {
    const s = statSync(path);
    return s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other';
  } catch {
    return 'missing';
  }
}

/** `ENOENT: no such file or directory`, without the call and path Node adds. */
export function reasonOf(error: unknown): string {
  return (error as Error).message.replace(/, \w+ '.*'$/, '');
}

/** Why no file can be created in `dir`, if none can: creates one under a unique name and removes it. */
function cannotCreateIn(dir: string): string | undefined {
  const probe = join(dir, `.contend-probe-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
    return undefined;
  } catch (error) {
    return reasonOf(error);
  }
}

/** A report file: its directory exists and takes files, and the file, if there, is a file we may write. */
export function checkOutputFile(option: string, path: string): void {
  const allowed = 'a file that can be written, in an existing directory';
  const kind = kindOf(path);
  if (kind === 'directory') throw new InvalidOptionError(option, allowed, path, 'a directory');
  if (kind !== 'missing') {
    try {
      // Opening to append changes nothing, and fails as the write would; non-blocking, so that a
      // pipe (/dev/stdout) is tried without waiting for its reader.
      closeSync(openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_NONBLOCK));
      return;
    } catch (error) {
      throw new InvalidOptionError(option, allowed, path, reasonOf(error));
    }
  }
  const dir = dirname(resolve(path));
  if (kindOf(dir) !== 'directory') throw new InvalidOptionError(option, allowed, path, `no directory ${dirname(path)}`);
  const problem = cannotCreateIn(dir);
  if (problem) throw new InvalidOptionError(option, allowed, path, problem);
}

/**
 * A directory for reports: it exists and takes files, or it can be made, which is tried on the
 * nearest existing ancestor (so nothing is made before the run).
 */
export function checkOutputDirectory(option: string, path: string, allowed = 'a directory where files can be written (made if missing)'): void {
  let existing = resolve(path);
  while (kindOf(existing) === 'missing' && dirname(existing) !== existing) existing = dirname(existing);
  if (kindOf(existing) !== 'directory') throw new InvalidOptionError(option, allowed, path, `${existing} is not a directory`);
  const problem = cannotCreateIn(existing);
  if (problem) throw new InvalidOptionError(option, allowed, path, `${problem}, in ${existing}`);
}

/**
 * Makes the directory one level at a time: Node's recursive mkdir spins for ever where a
 * directory cannot be made at all (under /proc).
 */
export function makeOutputDirectory(option: string, path: string): void {
  checkOutputDirectory(option, path);
  const missing: string[] = [];
  for (let dir = resolve(path); kindOf(dir) === 'missing'; dir = dirname(dir)) missing.unshift(dir);
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw outputFailed(option, dir, error);
    }
  }
}

/** A report that could not be written after the run (a full disk): an error of the run, status 1. */
export function outputFailed(option: string, path: string, error: unknown): ContendError {
  return new ContendError('E_OUTPUT', `cannot write the ${option} output ${path}: ${(error as Error).message}`);
}

/** Writes a report file, failing as `outputFailed`. */
export async function writeOutput(option: string, path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (error) {
    throw outputFailed(option, path, error);
  }
}
