import { accessSync, constants, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { InvalidOptionError } from '../errors.js';
import { checkOutputDirectory } from './outputs.js';

/**
 * /dev/shm where the system has it and lets us write there, the temporary directory elsewhere:
 * for files rewritten thousands of times in a run (a schedule's, a crash state's), which on a
 * disk cost several times more, and whose behaviour under test is the same on any local file system.
 */
export function fastTemp(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

/**
 * The directory a run's scratch files go in: the one given (an existing directory where files can
 * be written, checked before any work starts), or fastTemp().
 */
export function scratchBase(option: string, given: unknown): string {
  if (given === undefined) return fastTemp();
  const allowed = 'an existing directory where files can be written';
  if (typeof given !== 'string' || !existsSync(given)) throw new InvalidOptionError(option, allowed, given);
  checkOutputDirectory(option, given, allowed);
  // Absolute: paths recorded under it are compared with paths joined to it.
  return resolve(given);
}
