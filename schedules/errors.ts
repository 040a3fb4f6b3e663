/**
 * Every error contend raises on purpose is a ContendError with a stable `code`,
 * so callers (and the CLI) can tell bad input from a fault in a worker.
 */
export class ContendError extends Error {
  readonly code: string;
  /** For failures inside a case: the literal that reruns it (options, schedule, its table). */
  replay?: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An option outside its allowed values; the message lists what is allowed. */
export class InvalidOptionError extends ContendError {
  readonly option: string;
  readonly allowed: string;
  /** @param why what is wrong with it, when the value alone does not say (a path that cannot be written) */
  constructor(option: string, allowed: string, got: unknown, why?: string) {
    super('E_INVALID_OPTION', `invalid ${option}: ${describe(got)}${why ? ` (${why})` : ''}; allowed: ${allowed}`);
    this.option = option;
    this.allowed = allowed;
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  // JSON would print NaN and Infinity as null.
  if (typeof v === 'number') return String(v);
  if (v === undefined) return 'nothing';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * The name of every option of T, each once, as the object literal lists them: an option T lacks
 * does not compile, nor does a list that misses one of T's.
 */
export function optionNames<T>(names: { [K in keyof Required<T>]: true }): readonly string[] {
  return Object.keys(names);
}

/**
 * Refuses an option the function does not take (a misspelt `wrokers` would otherwise be dropped
 * without a word, and the default used), naming the ones it does. A key whose value is undefined
 * is let through, as a spread of optional fields leaves them.
 */
export function onlyKnown<T extends object>(what: string, options: T, known: readonly string[]): T {
  // Given nothing, or not an object: said as bad input, not as a TypeError from deep inside.
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new InvalidOptionError(`${what}s`, `an object of ${known.join(', ')}`, options);
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !known.includes(key)) throw new InvalidOptionError(what, known.join(', '), key);
  }
  return options;
}
