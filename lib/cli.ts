#!/usr/bin/env node
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { formatSchedule, SCHEDULE_FORMATS, type ScheduleFormat } from '../schedules/format.js';
import { generateSchedule } from '../schedules/generate.js';
import { applyOrdering } from '../schedules/order.js';
import { ORDERINGS, PATTERNS, type Ordering, type Pattern } from '../schedules/types.js';
import { lockNames, lockRegistry, resolveLock } from './adapters.js';
import { exitOnSignals } from './cleanup.js';
import { ContendError, InvalidOptionError } from './errors.js';
import { closeProcessPool, closeThreadPool } from './kinds/index.js';
import { WORKER_KINDS, type WorkerKind } from './locks/types.js';
import { runMatrix, sameVector } from './matrix.js';
import { MODES, type CaseOptions, type Mode } from './options.js';
import { formatVector } from './outcome.js';
import { GRANULARITIES, type Granularity } from './protocol.js';
import { formatColumns, formatMatrix, matrixRowCells } from './report.js';
import { runCase } from './run-case.js';
import { runFuzz } from './fuzz/harness.js';
import { formatStress, runStress, SCENARIOS, type Scenario } from './stress/index.js';
import { crashPoints } from './writes/crashpoints.js';
import { traceDurability } from './writes/durability.js';
import { checkOutputs, emit, list, numberArg } from './cli-io.js';
import { writeOutput } from './outputs.js';
import { formatAudit, formatAuditMarkdown, librarySpecs, propertyIds, runAudit, selectProperties } from './audit/index.js';
import { workloadCommands } from './workload/commands.js';
import { resolveWriteStrategy, writeRegistry, writeStrategyNames } from './writes/index.js';
import { moduleReference } from './registry.js';

// Values are checked by the library, not by yargs, so the CLI and the library give the same error.
const caseOptions = <T>(y: Argv<T>) =>
  y
    .option('workers', { ...numberArg, default: 5, describe: 'number of actors' })
    .option('mode', { type: 'string', default: 'step', describe: `driver mode: ${MODES.join(', ')}` })
    .option('period', { ...numberArg, describe: 'seconds between ticks (period mode sleeps it; default 2)' })
    .option('pattern', { type: 'string', default: 'staggered', describe: `schedule pattern: ${PATTERNS.join(', ')}` })
    .option('seed', { ...numberArg, describe: 'seed of the random pattern' })
    .option('granularity', { type: 'string', default: 'lifetime', describe: `lock held: ${GRANULARITIES.join(', ')}` })
    .option('write', { type: 'string', default: 'truncate', describe: `write strategy: ${writeStrategyNames().join(', ')}` })
    .option('calibrate', { type: 'boolean', default: true, describe: 'period mode: raise the period when a read+write takes over a tenth of it (--no-calibrate keeps it)' });

/** `--lock-module` / `--write-module FILE#EXPORT`: adapters of the user's own, for every command. */
async function loadModules(option: string, specs: string[] | undefined, registry: { register(ref: { module: string; export: string }, label?: string): Promise<unknown> }): Promise<void> {
  for (const spec of specs ?? []) await registry.register(await moduleReference(option, spec), spec);
}

/** An option holding a JSON object; absent is an empty one. */
function parseJsonOption(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(String(value));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below, as for any other value that is not an object
  }
  throw new InvalidOptionError(name, 'a JSON object, e.g. \'{"staleMs":2000}\'', value);
}

function caseFrom(argv: Record<string, unknown>): Omit<CaseOptions, 'kind' | 'lock'> {
  return {
    workers: argv.workers as number,
    mode: argv.mode as Mode,
    ...(argv.period !== undefined ? { period: argv.period as number } : {}),
    pattern: argv.pattern as Pattern,
    ...(argv.seed !== undefined ? { seed: argv.seed as number } : {}),
    granularity: argv.granularity as Granularity,
    write: argv.write as string,
    ...(argv.calibrate === false ? { calibrate: false } : {}),
  };
}

/** How long the clean-up after a verdict may take before the process ends anyway, ms. */
const CLEAN_UP_GRACE_MS = 10_000;

/** The error codes that mean bad input (exit status 2) rather than a failed run (1). */
const BAD_INPUT = new Set(['E_INVALID_OPTION', 'E_USAGE', 'E_ADAPTER_LOAD', 'E_CSV_FORMAT']);

export async function main(args: string[]): Promise<number> {
  let exitCode = 0;
  const cli = yargs(args)
    .scriptName('contend')
    .usage('$0 <command> [options]\n\nDeterministic concurrency tests of shared file state.')
    .option('json', { describe: 'print JSON instead of text (or write it to the given file)' })
    .option('lock-module', { type: 'string', array: true, describe: 'load a lock adapter of your own: MODULE#EXPORT' })
    .option('write-module', { type: 'string', array: true, describe: 'load a write strategy of your own: MODULE#EXPORT' })
    .middleware(async (argv) => {
      checkOutputs(argv);
      await loadModules('lock-module', argv['lock-module'], lockRegistry);
      await loadModules('write-module', argv['write-module'], writeRegistry);
    })
    .command(
      'schedule',
      'print a schedule (the staggered overlap table by default)',
      (y) =>
        y
          .option('workers', { ...numberArg, default: 5 })
          .option('period', { ...numberArg, default: 2 })
          .option('pattern', { type: 'string', default: 'staggered', describe: PATTERNS.join(', ') })
          .option('seed', { ...numberArg, describe: 'seed of the random pattern' })
          .option('order', { type: 'string', default: 'as-generated', describe: ORDERINGS.join(', ') })
          .option('format', { type: 'string', default: 'table', describe: SCHEDULE_FORMATS.join(', ') })
          .example('$0 schedule --workers 5 --period 2', 'the staggered overlap table')
          .example('$0 schedule --format timeline --order force-write', 'one row per worker'),
      async (argv) => {
        const schedule = applyOrdering(
          generateSchedule({
            workers: argv.workers as number,
            period: argv.period as number,
            pattern: argv.pattern as Pattern,
            ...(argv.seed !== undefined ? { seed: argv.seed as number } : {}),
          }),
          argv.order as Ordering,
        );
        const format = (argv.json ? 'json' : argv.format) as ScheduleFormat;
        process.stdout.write(formatSchedule(schedule, format) + (format === 'svg' ? '' : '\n'));
      },
    )
    .command(
      'run',
      'run one case and print its outcome vector',
      (y) =>
        caseOptions(y)
          .option('workers-kind', { type: 'string', default: 'async', describe: `worker kind: ${WORKER_KINDS.join(', ')}` })
          .option('lock', { type: 'string', default: 'none', describe: 'lock adapter (see `contend locks`)' })
          .option('order', { type: 'string', default: 'force-write', describe: ORDERINGS.join(', ') })
          .option('trace', { type: 'boolean', describe: 'print every step the driver took' })
          .example('$0 run --workers-kind process --lock flock --order force-write', 'five processes, a kernel lock'),
      async (argv) => {
        const result = await runCase({
          ...caseFrom(argv),
          kind: argv['workers-kind'] as WorkerKind,
          lock: argv.lock,
          order: argv.order as Ordering,
        });
        const verdict = sameVector(result.outcomes, result.predicted) ? 'PASS' : 'FAIL';
        const lines = [
          `case      ${result.case.kind} × ${result.case.lock} × ${result.case.order}, ${result.case.workers} workers, ${result.case.mode} mode, ${result.case.granularity}, write ${result.case.write}`,
          `observed  ${formatVector(result.outcomes)}${result.race ? '  (race)' : '  (no race)'}`,
          `expected  ${formatVector(result.predicted)}  (rule: ${result.expectedRace ? 'race' : 'no race'})`,
          `reads     ${result.reads.map((r) => `${r.worker}:${r.outcome}${r.by ? `←${r.by}` : ''}`).join(' ')}`,
          `verdict   ${verdict}  in ${result.ms.toFixed(1)} ms${result.calibration ? `, period ${result.calibration.period.toFixed(4)} s` : ''}`,
        ];
        if (argv.trace) lines.push('trace', ...result.trace.map((t) => `  tick ${t.tick < 0 ? 'end' : t.tick}  worker ${t.worker}  ${t.op}  ${t.status}`));
        if (verdict === 'FAIL') lines.push(`replay    ${result.replay}`);
        await emit(argv.json, result, lines.join('\n'));
        if (verdict === 'FAIL') exitCode = 1;
      },
    )
    .command(
      'matrix',
      'run every kind × lock × ordering and print the verdicts',
      (y) =>
        caseOptions(y)
          .option('kinds', { type: 'string', describe: `comma list of ${WORKER_KINDS.join(', ')}` })
          .option('locks', { type: 'string', describe: 'comma list of lock names (default: all)' })
          .option('orders', { type: 'string', describe: 'comma list of force-write, force-read, as-generated' })
          .option('repeat', { ...numberArg, default: 1, describe: 'run each case N times; all must agree' })
          .option('cpu-load', { ...numberArg, default: 0, describe: 'keep N busy threads running meanwhile' })
          .example('$0 matrix', 'the 30 cases of the staggered overlap table, in step mode')
          .example('$0 matrix --repeat 100 --cpu-load 1', 'determinism under load'),
      async (argv) => {
        const started = performance.now();
        const rows = await runMatrix(
          {
            ...caseFrom(argv),
            ...(argv.kinds ? { kinds: list(argv.kinds) as WorkerKind[] } : {}),
            ...(argv.locks ? { locks: list(argv.locks)! } : {}),
            ...(argv.orders ? { orders: list(argv.orders) as Ordering[] } : {}),
            repeat: argv.repeat as number,
            cpuLoad: argv['cpu-load'] as number,
          },
          (row, i, total) => process.stderr.write(`[${i + 1}/${total}] ${matrixRowCells(row).join('  ')}\n`),
        );
        const ms = performance.now() - started;
        const failed = rows.filter((r) => r.verdict !== 'pass').length;
        const text = `${formatMatrix(rows)}\n\n${rows.length - failed} passed, ${failed} failed in ${(ms / 1000).toFixed(2)} s`;
        const json = rows.map(({ last: _last, ...r }) => r);
        await emit(argv.json, { rows: json, ms, passed: rows.length - failed, failed }, text);
        if (failed) exitCode = 1;
      },
    )
    .command(
      'locks',
      'list the lock adapters and whom each excludes',
      (y) => y,
      async (argv) => {
        const adapters = lockNames().map((n) => resolveLock(n).adapter);
        const yes = (b: boolean): string => (b ? 'yes' : 'no');
        await emit(
          argv.json,
          adapters.map((a) => ({ name: a.name, excludes: a.excludes, description: a.description })),
          formatColumns([
            ['lock', 'async', 'thread', 'process', 'description'],
            ...adapters.map((a) => [a.name, yes(a.excludes.async), yes(a.excludes.thread), yes(a.excludes.process), a.description]),
          ]),
        );
      },
    )
    .command(
      'crashpoints',
      'kill a write strategy before each of its file-system steps and show what is left',
      (y) =>
        y
          .option('strategy', { type: 'string', default: 'atomic', describe: `write strategy: ${writeStrategyNames().join(', ')}` })
          .option('items', { ...numberArg, default: 5000, describe: 'entries in the saved document (5000, as in the MDV JSON write stress tests)' })
          .example('$0 crashpoints --strategy truncate', 'where a truncating save leaves an empty or torn file'),
      async (argv) => {
        const table = await crashPoints({
          strategy: argv.strategy,
          items: argv.items as number,
          onPoint: (p, total) => process.stderr.write(`\r[${p.k ?? total}/${total}] ${p.state.padEnd(8)}`),
        });
        process.stderr.write('\n');
        const rows = table.points.map((p) => [
          p.k === null ? 'none' : String(p.k),
          p.step ? `${p.step.op} ${p.step.detail}` : '(ran to the end)',
          p.state,
          p.leftovers.join(', ') || '-',
        ]);
        const text = `${table.strategy}: SIGKILL just before step k of a save over an older file (${table.items} items)\n\n${formatColumns([
          ['k', 'step not taken', 'target', 'left behind'],
          ...rows,
        ])}`;
        await emit(argv.json, table, text);
      },
    )
    .command(
      'stress',
      'four stress scenarios (interrupted, concurrent, rapid, constrained) for each write strategy',
      (y) =>
        y
          .option('strategies', { type: 'string', describe: `comma list of ${writeStrategyNames().join(', ')} (default: all)` })
          .option('scenarios', { type: 'string', describe: `comma list of ${SCENARIOS.join(', ')} (default: all)` })
          .option('kinds', { type: 'string', describe: `worker kinds of the concurrent scenario: ${WORKER_KINDS.join(', ')} (default: all)` })
          .option('trials', { ...numberArg, describe: 'kills per strategy (interrupted), iterations (concurrent, constrained)' })
          .option('seed', { ...numberArg, describe: 'seed of the kill points (interrupted)' })
          .example('$0 stress --strategies truncate,atomic --json stress.json', 'the stress table for two strategies'),
      async (argv) => {
        const report = await runStress({
          ...(argv.strategies ? { strategies: list(argv.strategies)! } : {}),
          ...(argv.scenarios ? { scenarios: list(argv.scenarios) as Scenario[] } : {}),
          ...(argv.kinds ? { kinds: list(argv.kinds) as WorkerKind[] } : {}),
          ...(argv.trials !== undefined ? { trials: argv.trials as number } : {}),
          ...(argv.seed !== undefined ? { seed: argv.seed as number } : {}),
          onProgress: (m) => process.stderr.write(`${m}\n`),
        });
        await emit(argv.json, report, formatStress(report));
      },
    )
    .command(
      'fuzz',
      'kill fuzz of the JSON store: children put, get SIGKILLed, and nothing journaled may be lost',
      (y) =>
        y
          .option('children', { ...numberArg, default: 4, describe: 'writer processes per wave' })
          .option('waves', { ...numberArg, default: 2, describe: 'kill waves; each after the first starts again from sequence 0' })
          .option('lock', { type: 'string', default: 'flock', describe: 'lock adapter of the store (see `contend locks`)' })
          .option('write', { type: 'string', default: 'atomic', describe: `write strategy of the store: ${writeStrategyNames().join(', ')}` })
          .option('cycles', { ...numberArg, default: 1, describe: 'repeat the waves, each kill after a seeded random delay (a soak)' })
          .option('seed', { ...numberArg, describe: 'seed of the soak\'s kill delays' })
          .example('$0 fuzz --lock none', 'an unsafe pair: lost updates are reported')
          .example('$0 fuzz --cycles 50 --seed 7', 'a soak of flock + atomic'),
      async (argv) => {
        let kills = 0;
        let violations = 0;
        const report = await runFuzz({
          children: argv.children as number,
          waves: argv.waves as number,
          lock: argv.lock,
          write: argv.write,
          cycles: argv.cycles as number,
          ...(argv.seed !== undefined ? { seed: argv.seed as number } : {}),
          onWave: (w) => {
            const puts = w.puts.reduce((a, b) => a + b, 0);
            kills += w.puts.length;
            violations += w.violations.length;
            process.stderr.write(
              `wave ${w.wave}: puts ${w.puts.join(' ')} (${puts} in all, ${((puts * 1000) / w.ms).toFixed(0)}/s), kills ${kills}, violations ${violations}\n`,
            );
          },
        });
        const lines = [
          `store with lock ${report.lock}, write ${report.write}: ${report.children} children, ${report.waves.length} waves, ${report.puts} puts, ${report.kills} kills`,
          ...report.waves.map((w) => `wave ${w.wave}: puts ${w.puts.join(' ')}`),
          report.ok ? 'no violation: every journaled put is stored, nothing went backwards, the store parses' : `${report.violations.length} violations:`,
          ...report.violations.map((v) => `  wave ${v.wave} ${v.kind}: ${v.detail}`),
        ];
        await emit(argv.json, report, lines.join('\n'));
        if (!report.ok) exitCode = 1;
      },
    )
    .command(
      'durability',
      "what each write strategy fsyncs, read off the file-system calls of one traced save",
      (y) =>
        y
          .option('strategies', { type: 'string', describe: `comma list of ${writeStrategyNames().join(', ')} (default: all)` })
          .example('$0 durability --strategies atomic,write-file-atomic', 'data and directory fsyncs, with the step that shows each'),
      async (argv) => {
        const names = list(argv.strategies) ?? writeStrategyNames();
        if (names.length === 0) throw new InvalidOptionError('strategies', `a comma list of ${writeStrategyNames().join(', ')}`, argv.strategies);
        for (const name of names) resolveWriteStrategy(name);
        const results = [];
        for (const name of names) results.push(await traceDurability(name));
        const yes = (b: boolean): string => (b ? 'yes' : 'no');
        const text = [
          formatColumns([
            ['strategy', 'renames', 'fsyncs data before relying on it', 'fsyncs directory after rename', 'steps'],
            ...results.map((d) => [d.strategy, yes(d.renames), yes(d.fsyncsData), yes(d.fsyncsDirectory), d.steps.map((s) => s.op).join(' ')]),
          ]),
          '',
          ...results.flatMap((d) => [`${d.strategy}:`, `  data: ${d.evidence.data}`, `  directory: ${d.evidence.directory}`]),
        ].join('\n');
        await emit(argv.json, results, text);
      },
    )
    .command(
      'audit',
      "npm's locks and JSON writers under contention, SIGKILL and stalls: one conformance table, each cell with its evidence",
      (y) =>
        y
          .option('libraries', { type: 'string', describe: 'comma list of locks and write strategies (default: the audited npm libraries, then any --lock-module / --write-module)' })
          .option('properties', { type: 'string', describe: `comma list of ${propertyIds().join(', ')} (default: all)` })
          .option('lock-options', { type: 'string', describe: 'JSON options to run the locks named in --libraries with, instead of their default rows' })
          .option('markdown', { describe: 'print Markdown for a README (or write it to the given file)' })
          .example('$0 audit', 'every library, every property (about 40 s)')
          .example('$0 audit --libraries lockfile,steno --markdown audit.md', 'two rows, as Markdown')
          .example('$0 audit --lock-module ./my-lock.ts#MyLock --libraries my-lock', 'your own lock, beside nothing else'),
      async (argv) => {
        const libraries = librarySpecs(list(argv.libraries), parseJsonOption('lock-options', argv['lock-options']));
        if (libraries.length === 0) throw new InvalidOptionError('libraries', 'a comma list of lock and write strategy names', argv.libraries);
        const properties = list(argv.properties);
        selectProperties(properties);
        const report = await runAudit({
          libraries,
          ...(properties ? { properties } : {}),
          onCell: (c, done, total) => process.stderr.write(`[${done}/${total}] ${c.library} · ${c.property}: ${c.verdict}\n`),
        });
        // A 'no' is a finding about the library; an 'error' is a scenario that gave no answer.
        if (report.cells.some((c) => c.verdict === 'error')) exitCode = 1;
        if (argv.markdown) {
          const markdown = formatAuditMarkdown(report);
          if (typeof argv.markdown === 'string' && argv.markdown !== '') {
            await writeOutput('markdown', argv.markdown, `${markdown}\n`);
            process.stderr.write(`written: ${argv.markdown}\n`);
          } else if (!argv.json) return void process.stdout.write(`${markdown}\n`);
        }
        await emit(argv.json, report, formatAudit(report));
      },
    )
    .command(workloadCommands((code) => (exitCode = code)))
    .demandCommand(1, 'name a command: schedule, run, matrix, locks, crashpoints, stress, fuzz, durability, audit, sweep, chaos, plot')
    .strict()
    .help()
    .alias('h', 'help')
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((message, error) => {
      throw error ?? new ContendError('E_USAGE', message);
    });
  try {
    await cli.parseAsync();
  } catch (error) {
    const e = error as Error & { replay?: string };
    exitCode = error instanceof ContendError && BAD_INPUT.has(error.code) ? 2 : 1;
    process.stderr.write(`contend: ${e.message}\n`);
    // Bad input is said in one line; a failure of the run comes with what reruns it.
    if (e.replay && exitCode === 1) process.stderr.write(`replay: ${e.replay}\n`);
    if (!(error instanceof ContendError)) process.stderr.write(`${e.stack}\n`);
  }
  // The verdict is settled before the clean-up: nothing the clean-up does can turn it into a 0.
  process.exitCode = exitCode;
  // Nor keep the command from ending: a thread stuck in a native call cannot be terminated, and
  // would hold the process (and the pool's destroy) for ever. Unref'd: it only fires then.
  setTimeout(() => process.exit(exitCode), CLEAN_UP_GRACE_MS).unref();
  await closeThreadPool();
  await closeProcessPool();
  return exitCode;
}

exitOnSignals();
process.exitCode = await main(hideBin(process.argv));
