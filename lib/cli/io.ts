import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ContendError, InvalidOptionError } from '../errors.js';
import { checkOutputDirectory, checkOutputFile, reasonOf, writeOutput } from '../support/outputs.js';

/**
 * What a number option is declared with. yargs would turn `abc` into NaN (printed as null); here
 * text that is not a number stays text, so the library's check echoes what was typed.
 */
export const numberArg = {
  requiresArg: true,
  coerce: (value: unknown): unknown => (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value),
} as const;

/**
 * A comma list option as its items; absent stays absent. An empty item (`none,,flock`, a
 * trailing comma) stays in the list, so the option's check refuses it with the allowed values
 * rather than the run going on with one item fewer than was typed.
 */
export const list = (v: unknown): string[] | undefined => (v === undefined ? undefined : String(v).split(',').map((s) => s.trim()));

/** The file `--json FILE` names; undefined for `--json` alone (print it) or no --json. */
export const jsonFileOf = (json: unknown): string | undefined => (typeof json === 'string' && json !== '' ? json : undefined);

/**
 * Another report took standard output (a CSV, Markdown): the JSON goes only where --json names a
 * file, said on stderr.
 */
export async function jsonBeside(json: unknown, value: unknown): Promise<void> {
  const file = jsonFileOf(json);
  if (file === undefined) return;
  await writeJson(file, value);
  delivered = true;
  process.stderr.write(`written: ${file}\n`);
}

/** Whether the command's JSON report went out: an error after it needs no report of its own. */
let delivered = false;

/**
 * What --json gives when the command ended in an error before its report: a JSON document still,
 * `{"error": {"code", "message", "faults"?, "replay"?}}`, so that a program reading it finds why
 * rather than nothing to parse. Written synchronously: a stalled run calls it right before
 * process.exit(). A failure to write it is left unsaid: the error is on stderr.
 */
export function emitError(json: unknown, error: Error & { code?: unknown; faults?: unknown; replay?: unknown }): void {
  if (delivered || json === undefined || json === false) return;
  const document = {
    error: {
      ...(typeof error.code === 'string' ? { code: error.code } : {}),
      message: error.message,
      ...(Array.isArray(error.faults) ? { faults: error.faults } : {}),
      ...(typeof error.replay === 'string' ? { replay: error.replay } : {}),
    },
  };
  const text = JSON.stringify(document, null, 2) + '\n';
  const file = jsonFileOf(json);
  try {
    if (file !== undefined) writeFileSync(file, text);
    else process.stdout.write(text);
  } catch {
    // said on stderr already, as the error itself
  }
}

const writeJson = (file: string, value: unknown): Promise<void> => writeOutput('json', file, JSON.stringify(value, null, 2) + '\n');

/** Text by default; JSON with --json, or into the file --json names (the text is printed then too). */
export async function emit(json: unknown, value: unknown, text: string): Promise<void> {
  const file = jsonFileOf(json);
  if (file !== undefined) {
    await writeJson(file, value);
    process.stdout.write(`${text}\nwritten: ${file}\n`);
  } else if (json) process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  else process.stdout.write(text + '\n');
  delivered = true;
}

/** A file named on the command line, read; one that cannot be is bad input, not a crash. */
export async function readInput(option: string, file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new InvalidOptionError(option, `a readable ${what}`, file, reasonOf(error));
  }
}

/** Report files and directories named on the command line, by option. A report file may be left out: then it is printed. */
export const OUTPUT_FILES = ['json', 'markdown', 'csv'] as const;
const OUTPUT_DIRECTORIES = ['plot', 'out'] as const;

/** Checks every output path given, before the command does any work. */
export function checkOutputs(argv: Record<string, unknown>): void {
  // Two reports to one place: one would be lost, or the two interleaved.
  const given = OUTPUT_FILES.filter((o) => argv[o] !== undefined && argv[o] !== false);
  const printed = given.filter((o) => argv[o] === '' || argv[o] === true);
  if (printed.length > 1) {
    throw new ContendError('E_USAGE', `options ${printed.map((o) => `--${o}`).join(' and ')} both print to standard output: give all but one of them a file (--${printed[1]} report.${printed[1] === 'markdown' ? 'md' : printed[1]})`);
  }
  const files = given.filter((o) => typeof argv[o] === 'string' && argv[o] !== '');
  for (const [i, a] of files.entries()) {
    const b = files.slice(i + 1).find((o) => resolve(argv[o] as string) === resolve(argv[a] as string));
    if (b) throw new ContendError('E_USAGE', `options --${a} and --${b} name one file, ${String(argv[a])}: give each a file of its own`);
  }
  for (const option of OUTPUT_FILES) {
    const path = argv[option];
    if (typeof path === 'string' && path !== '') checkOutputFile(option, path);
  }
  for (const option of OUTPUT_DIRECTORIES) {
    const path = argv[option];
    if (typeof path === 'string' && path !== '') checkOutputDirectory(option, path);
  }
}

/** An option holding a JSON object (`--lock-options '{"ttlMs":2000}'`); absent is an empty one. */
export function parseJsonOption(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(String(value));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below, as for any other value that is not an object
  }
  throw new InvalidOptionError(name, 'a JSON object, e.g. \'{"staleMs":2000}\'', value);
}
