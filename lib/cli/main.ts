#!/usr/bin/env node
import { createRequire } from 'node:module';
import type yargsModule from 'yargs';
import type { Argv } from 'yargs';
import { exitOnSignals } from '../support/cleanup.js';
import { sendConsoleTo } from '../support/console.js';
import { ContendError, InvalidOptionError } from '../errors.js';
import type { CommandContext, CommandFactory } from './command.js';
import { checkOutputs, emitError, OUTPUT_FILES } from './io.js';
import type { UsageContext } from './unknown.js';

const require = createRequire(import.meta.url);

// yargs' CommonJS build is one bundled file; its ES module entry goes through Node's ES module
// loader file by file, which cost every command about 40 ms more of CPU to start on Node 20.
const yargs = require('yargs') as typeof yargsModule;

/**
 * The module of the command of that name, `commands/<name>.js`, through require(): Node ≥ 20.19
 * loads an ES module graph that way synchronously, without import()'s asynchronous loader, which
 * cost the matrix command's 84 modules about 25 ms more of CPU before its first case. So no
 * command's graph may await at its top level (require() refuses one that does); what such a
 * module needs is imported when used.
 */
const loadCommand = (name: string): CommandFactory => (require(`./commands/${name}.js`) as { default: CommandFactory }).default;

/**
 * Every command, in the order help lists them. A command's code (loadCommand) is loaded only when
 * that command runs, so `contend schedule` does not load the workload's or the audit's dependencies.
 */
const COMMANDS: readonly { command: string; describe: string }[] = [
  { command: 'schedule', describe: 'print a schedule (the staggered overlap table by default)' },
  { command: 'run', describe: 'run one case and print its outcome vector' },
  { command: 'matrix', describe: 'run every kind × lock × ordering and print the verdicts' },
  { command: 'explore', describe: 'every interleaving of a lock, write strategy or your operations at each fs call, shrunk to the smallest failing schedule' },
  { command: 'locks', describe: 'list the lock adapters and whom each excludes' },
  { command: 'crashpoints', describe: 'kill a write strategy before each of its file-system steps and show what is left' },
  { command: 'stress', describe: 'four stress scenarios (interrupted, concurrent, rapid, constrained) for each write strategy' },
  { command: 'fuzz', describe: 'kill fuzz of the JSON store: children put, get SIGKILLed, and nothing journaled may be lost' },
  { command: 'powerloss', describe: 'every state a power cut can leave of each write strategy\'s save, judged (ALICE\'s model)' },
  { command: 'durability', describe: 'what each write strategy fsyncs, read off the file-system calls of one traced save' },
  {
    command: 'audit',
    describe: "npm's locks and JSON writers under contention, SIGKILL and stalls: one conformance table, each cell with its evidence",
  },
  {
    command: 'sweep',
    describe: 'workload sweep: writer and reader fleets over a grid, optimistic writes, metrics, isolation checked per config',
  },
  { command: 'chaos', describe: 'chaos scenarios (latency, blocked storage, CPU overload, combined) against a baseline of one config' },
  { command: 'plot <file>', describe: 'render a sweep or chaos CSV as SVG plots and one self-contained report.html' },
];

/** How long the clean-up after the exit status is settled may take before the process ends anyway, ms. */
const CLEAN_UP_GRACE_MS = 10_000;

/** The error codes that mean bad input (exit status 2) rather than a failed run (1). */
const BAD_INPUT = new Set(['E_INVALID_OPTION', 'E_USAGE', 'E_ADAPTER_LOAD', 'E_CSV_FORMAT', 'E_MISSING_PEER', 'E_MISSING_SERVER', 'E_NO_LOCK']);

const nameOf = (command: string): string => command.split(' ')[0]!;
const isCommand = (word: string | undefined): boolean => COMMANDS.some((c) => nameOf(c.command) === word);

/** The options every command takes. */
const globalOptions = (y: Argv): Argv =>
  y
    .option('json', { describe: 'print JSON instead of text (or write it to the given file)' })
    .option('lock-module', { type: 'string', array: true, describe: 'load a lock adapter of your own: MODULE#EXPORT' })
    .option('write-module', { type: 'string', array: true, describe: 'load a write strategy of your own: MODULE#EXPORT' });

/** What yargs keeps of a command's options, in getOptions(), which its types do not declare. */
interface OptionTable {
  key: Record<string, unknown>;
  alias: Record<string, string[]>;
  string: string[];
  array: string[];
  boolean: string[];
}
const optionTable = (y: Argv): OptionTable => (y as unknown as { getOptions(): OptionTable }).getOptions();

/**
 * The long options a command takes, as typed (kebab-case), without its positionals (`<file>` of
 * `plot <file>`) and aliases.
 */
function commandOptions(y: Argv, command = ''): { options: string[]; aliases: Record<string, string[]> } {
  const { key, alias } = optionTable(y);
  const skipped = new Set([...Object.values(alias).flat(), ...positionals(command), 'help', 'version']);
  const options = Object.keys(key).filter((k) => k.length > 1 && !skipped.has(k) && !/[A-Z]/.test(k));
  // An option's other long names (run's --workers-kind is also --kind), said beside it in a refusal.
  const aliases = Object.fromEntries(options.flatMap((k) => {
    const others = (alias[k] ?? []).filter((a) => a.length > 1 && !/[A-Z]/.test(a));
    return others.length ? [[k, others]] : [];
  }));
  return { options, aliases };
}

const positionals = (command: string): string[] => [...command.matchAll(/[<[](\w+)[\]>]/g)].map((m) => m[1]!);

/**
 * Every text option of the command needs its value: yargs would give `--order` without one as ''
 * or as its default, taken for an option left out. A report file (`--csv`) may be left out, which
 * prints it; the lists (`--lock-module`) are checked where they are read.
 */
function requireValues(y: Argv, command: string): Argv {
  return y.requiresArg(valuedOptions(y, command));
}

/** The text options of a command that must have a value (requireValues). */
function valuedOptions(y: Argv, command: string): string[] {
  const { string, array } = optionTable(y);
  const optional = new Set<string>([...OUTPUT_FILES, ...array, ...positionals(command)]);
  return string.filter((k) => !optional.has(k));
}

/**
 * What yargs lets through: a value typed empty (`--locks ''`, taken for the option left out; a
 * report file `--json=`, taken for none), and a flag given a value other than true or false
 * (`--trace=1`, taken for false).
 */
function refuseMistypedValues(args: readonly string[], argv: Record<string, unknown>, y: Argv, command: string): void {
  const name = nameOf(command);
  const emptyReport = (option: string): boolean => args.some((a, i) => a === `--${option}=` || (a === `--${option}` && args[i + 1] === ''));
  for (const key of valuedOptions(y, command)) {
    if (argv[key] === '') throw new ContendError('E_USAGE', (require('./unknown.js') as typeof import('./unknown.js')).needsValue(key, `contend ${name}`));
  }
  const empty = OUTPUT_FILES.find(emptyReport);
  if (empty) throw new ContendError('E_USAGE', `option --${empty} of contend ${name} names no file: give one, or --${empty} alone to print the report`);
  const { boolean, alias } = optionTable(y);
  // As yargs reads a flag: by its name, its aliases, and its name in camelCase.
  const flags = new Set(boolean.flatMap((k) => [k, ...(alias[k] ?? []), k.replace(/-(.)/g, (_m, c: string) => c.toUpperCase())]));
  for (const arg of args) {
    const typed = /^--([^=]+)=(.*)$/s.exec(arg);
    if (typed && flags.has(typed[1]!) && typed[2] !== 'true' && typed[2] !== 'false') {
      throw new InvalidOptionError(typed[1]!, 'true or false, or the option alone', typed[2]);
    }
  }
}

/** `--lock-module` / `--write-module FILE#EXPORT`: adapters of the user's own, for every command. */
async function loadModules(argv: Record<string, unknown>): Promise<void> {
  const locks = argv['lock-module'] as string[] | undefined;
  const writes = argv['write-module'] as string[] | undefined;
  if (locks === undefined && writes === undefined) return;
  const [{ moduleReference }, { lockRegistry }, { writeRegistry }] = await Promise.all([import('../modules/registry.js'), import('../locks/registry.js'), import('../writes/index.js')]);
  // Given with no value, yargs makes the option an empty list: refused as the missing value it is.
  if (locks?.length === 0) await moduleReference('lock-module', undefined);
  if (writes?.length === 0) await moduleReference('write-module', undefined);
  for (const spec of locks ?? []) await lockRegistry.register(await moduleReference('lock-module', spec), spec);
  for (const spec of writes ?? []) await writeRegistry.register(await moduleReference('write-module', spec), spec);
}

/** The command's exit status once its work is done, before the clean-up. */
let settled: number | undefined;
/** What --json named, once the command's options are checked: where an error's document goes. */
let jsonAsked: unknown;

export async function main(args: string[]): Promise<number> {
  // Answered before any command is looked for, as other tools answer it, wherever it is typed.
  if (args.includes('--version')) {
    const { contendVersion } = require('../support/paths.js') as typeof import('../support/paths.js');
    process.stdout.write(`${contendVersion()}\n`);
    return 0;
  }
  let exitCode = 0;
  const context: CommandContext = { fail: () => void (exitCode = 1) };
  // Only the command named is loaded; the others are listed by name, for help and for yargs' checks.
  // Which one it is, yargs says, given the options that may come before it: `--json locks run`
  // names run, and writes its JSON to ./locks.
  // Most often the command comes first, and no parse is needed to see it.
  const firstWord = (): string => String(globalOptions(yargs(args)).help(false).version(false).parseSync()._[0] ?? '');
  const named = isCommand(args[0]) ? args[0] : args.some(isCommand) ? firstWord() : undefined;
  const chosen = COMMANDS.find((c) => nameOf(c.command) === named);
  const cli: Argv = globalOptions(yargs(args))
    .scriptName('contend')
    .usage('$0 <command> [options]\n\nDeterministic concurrency tests of shared file state.')
    .epilog("contend --version prints contend's version.")
    .middleware(async (argv) => {
      if (commandArgs && chosen) refuseMistypedValues(args, argv, commandArgs, chosen.command);
      checkOutputs(argv);
      jsonAsked = argv.json;
      // Async workers run in this process, and the user's modules load here: what they print goes
      // to stderr, as threads' and processes' does, and stdout carries the report only. (yargs has
      // printed any help by now, on stdout.)
      sendConsoleTo(process.stderr);
      await loadModules(argv);
    })
    .demandCommand(1, `name a command: ${COMMANDS.map((c) => nameOf(c.command)).join(', ')}`)
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .recommendCommands()
    .fail((message, error) => {
      // A command's own error passes as it is; yargs' parser refuses input with a YError of its
      // own (`--workers` with no value), which is bad input like any message it gives.
      if (error && error.name !== 'YError') throw error;
      const usage: UsageContext = { args, typedCommand: firstWord, ...commandOptions(commandArgs ?? cli, chosen?.command), commands: COMMANDS.map((c) => nameOf(c.command)) };
      // Loaded only when something was not understood.
      const { explainUsage } = require('./unknown.js') as typeof import('./unknown.js');
      throw new ContendError('E_USAGE', explainUsage(message ?? error?.message ?? '', chosen ? { ...usage, usage: chosen.command } : usage));
    });
  // The chosen command's own yargs, once its builder has run: its options are what a refusal lists.
  let commandArgs: Argv | undefined;
  let ran = false;
  try {
    for (const entry of COMMANDS) {
      if (entry !== chosen) {
        // Never run: the command yargs runs is the one found above. Said rather than passed over.
        cli.command(entry.command, entry.describe, (y) => y, () => {
          throw new ContendError('E_USAGE', `put the command first: contend ${nameOf(entry.command)} [options]`);
        });
        continue;
      }
      const { builder, handler } = loadCommand(nameOf(entry.command))(context);
      cli.command(entry.command, entry.describe, (y) => (commandArgs = requireValues(builder(y), entry.command)), async (argv) => {
        ran = true;
        await handler(argv);
      });
    }
    await cli.parseAsync();
  } catch (error) {
    const e = error as Error & { replay?: string };
    exitCode = error instanceof ContendError && BAD_INPUT.has(error.code) ? 2 : 1;
    process.stderr.write(`contend: ${e.message}\n`);
    // Bad input is said in one line; a failure of the run comes with what reruns it.
    if (e.replay && exitCode === 1) process.stderr.write(`replay: ${e.replay}\n`);
    if (!(error instanceof ContendError)) process.stderr.write(`${e.stack}\n`);
    // A run that failed still gives --json a document to read; bad input is refused before any.
    if (exitCode === 1) emitError(jsonAsked, e);
  }
  // The exit status is settled before the clean-up: nothing the clean-up does can turn it into a 0.
  process.exitCode = exitCode;
  settled = exitCode;
  // Nor keep the command from ending: a thread stuck in a native call cannot be terminated, and
  // would hold the process (and the pool's destroy) for ever. Unref'd: it only fires then.
  setTimeout(() => process.exit(exitCode), CLEAN_UP_GRACE_MS).unref();
  if (ran) {
    const { closePools } = await import('../case/kinds/index.js');
    await closePools();
  }
  return exitCode;
}

/**
 * A reader that goes away (`contend matrix | head -1`) ends the command as SIGPIPE ends others: at
 * once and quietly, through the exit hooks (children and temporary directories go too), with
 * status 1, since the verdict was not delivered. Node would print the EPIPE's stack instead.
 */
function endOnClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      // Any other failure to write the report (a full disk: ENOSPC) is said in one line, not a stack.
      if (error.code !== 'EPIPE' && stream === process.stdout) process.stderr.write(`contend: the report could not be written to standard output: ${error.code ?? error.message}\n`);
      process.exit(1);
    });
  }
}

/**
 * A command whose work awaits a promise that nothing will settle (a save, a lock call or a check of
 * the user's that never returns, where no time limit covers it) leaves the event loop empty: Node
 * would end with status 13 and no word. Said, as the failure it is, with status 1.
 */
function endOnStall(): () => void {
  const stalled = (): void => {
    // The work is done and its status settled: what is left to await is the clean-up's.
    if (settled !== undefined) process.exit(settled);
    const error = new ContendError('E_STALLED', 'the run stopped before its end: it awaits something that will never settle (a save, a lock call or a check of yours that returns a promise nothing resolves, with nothing else to wait for)');
    process.stderr.write(`contend: ${error.message}\n`);
    emitError(jsonAsked, error);
    process.exit(1);
  };
  process.once('beforeExit', stalled);
  return () => process.off('beforeExit', stalled);
}

exitOnSignals();
endOnClosedOutput();
const ended = endOnStall();
// As yargs' hideBin does for node itself, without loading yargs/helpers for it.
process.exitCode = await main(process.argv.slice(2));
ended();
