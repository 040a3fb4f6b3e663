import { InvalidOptionError } from '../errors.js';

export { onlyKnown, optionNames } from '../../schedules/errors.js';

/**
 * The checks options share: each throws one InvalidOptionError that names the option, echoes the
 * value given (text typed where a number was wanted stays text) and says what is allowed.
 */

/** The longest a timer can be set for, ms: Node fires a longer one at once, with a warning. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** An integer from `min` to `max`; `allowed` says the range in other words where its bound has a reason. */
export function integerIn(name: string, value: unknown, min: number, max: number, allowed = `an integer from ${min} to ${max}`): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(name, allowed, value);
  }
  return value;
}

/** A finite number from `min` (above it, when `open`) to `max`. */
export function numberIn(name: string, value: unknown, min: number, max: number, { open = false, unit = '' } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (open && value === min)) {
    const range = `${open ? 'above' : 'from'} ${min}${Number.isFinite(max) ? ` to ${max}` : ''}`;
    throw new InvalidOptionError(name, `a number ${unit ? `of ${unit} ` : ''}${range}`, value);
  }
  return value;
}

export function oneOf<T extends string>(name: string, allowed: readonly T[], value: unknown): T {
  if (!allowed.includes(value as T)) throw new InvalidOptionError(name, allowed.join(', '), value);
  return value as T;
}

/**
 * A list option: absent gives `byDefault`; given, it must be a non-empty list of allowed values,
 * each named once (a name twice is a slip, and would run its part twice).
 */
export function someOf<T extends string>(name: string, allowed: readonly T[], given: unknown, byDefault: readonly T[] = allowed): T[] {
  if (given === undefined) return [...byDefault];
  if (!Array.isArray(given) || given.length === 0) throw new InvalidOptionError(name, `a non-empty list of ${allowed.join(', ')}`, given);
  for (const [i, g] of given.entries()) {
    oneOf(name, allowed, g);
    if (given.indexOf(g) !== i) throw new InvalidOptionError(name, `each of ${allowed.join(', ')} at most once`, given);
  }
  return given as T[];
}
