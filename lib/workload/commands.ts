import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { emit, list, numberArg } from '../cli-io.js';
import { definedOnly } from '../defined.js';
import { InvalidOptionError } from '../errors.js';
import { writeOutput } from '../outputs.js';
import { writeStrategyNames } from '../writes/index.js';
import { CHAOS_SCENARIOS } from './chaos.js';
import { CAS_MODES, CLIENT_KINDS, CONFLICT_SCOPES, STORAGES, WORKLOAD_DEFAULTS, type WorkloadConfig } from './config.js';
import { configOfRow, parseCsv, requireRows, toCsv } from './csv.js';
import { plotResults } from './index.js';
import { formatChaos, formatSweep, progressLine, resultJson } from './report.js';
import type { WorkloadResult } from './run.js';
import { FULL_DURATION, FULL_GRID, QUICK_DURATION, QUICK_GRID, runChaos, runSweep, sweepConfigs, sweepParallel, type SweepGrid } from './sweep.js';

type Args = Record<string, unknown>;

// Values are checked by the library, so the CLI and the library give the same error.
const workloadOptions = <T>(y: Argv<T>) =>
  y
    .option('duration', { ...numberArg, describe: 'seconds per run' })
    .option('kind', { type: 'string', describe: `clients run as: ${CLIENT_KINDS.join(', ')} (default ${WORKLOAD_DEFAULTS.kind})` })
    .option('storage', { type: 'string', describe: `${STORAGES.join(', ')} (memory: no I/O, the harness's own ceiling; default ${WORKLOAD_DEFAULTS.storage})` })
    .option('lock', { type: 'string', describe: `lock around the compare-and-swap (see \`contend locks\`; default ${WORKLOAD_DEFAULTS.lock})` })
    .option('write', { type: 'string', describe: `write strategy of the manifest: ${writeStrategyNames().join(', ')} (default ${WORKLOAD_DEFAULTS.write})` })
    .option('cas', { type: 'string', describe: `${CAS_MODES.join(', ')} (unlocked: the deliberately broken mode; default ${WORKLOAD_DEFAULTS.cas})` })
    .option('conflict', { type: 'string', describe: `what a commit's precondition compares: ${CONFLICT_SCOPES.join(', ')} (default ${WORKLOAD_DEFAULTS.conflict})` })
    .option('think', { ...numberArg, describe: 'ms of application work between the snapshot read and the commit (default 0)' })
    .option('retries', { ...numberArg, describe: `retry budget after a precondition failure (default ${WORKLOAD_DEFAULTS.maxRetries})` })
    .option('key-pool', { ...numberArg, describe: `keys in the pool (default ${WORKLOAD_DEFAULTS.keyPoolSize})` })
    .option('seed', { ...numberArg, describe: 'seed of arrivals, keys and outages (default 1)' })
    .option('csv', { type: 'string', describe: 'write the workload CSV to the given file (no file: to stdout)' })
    .option('plot', { type: 'string', describe: 'also render the plots and report.html into this directory' });

function numbers(name: string, v: unknown): number[] | undefined {
  const items = list(v);
  return items?.map((s) => {
    const n = Number(s);
    if (s === '' || Number.isNaN(n)) throw new InvalidOptionError(name, 'a comma list of numbers', s);
    return n;
  });
}

function number(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || Number.isNaN(v)) throw new InvalidOptionError(name, 'a number', v);
  return v;
}

/** A CSV given on the command line, read; a missing one is bad input, not a crash. */
async function readCsvArg(option: string, file: string): Promise<ReturnType<typeof parseCsv>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InvalidOptionError(option, 'a readable CSV file', `${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parseCsv(text, file);
}

function baseConfig(argv: Args): Partial<WorkloadConfig> {
  const config: Partial<WorkloadConfig> = {
    duration: number('duration', argv.duration),
    kind: argv.kind as WorkloadConfig['kind'],
    storage: argv.storage as WorkloadConfig['storage'],
    lock: argv.lock as string,
    write: argv.write as string,
    cas: argv.cas as WorkloadConfig['cas'],
    conflict: argv.conflict as WorkloadConfig['conflict'],
    thinkMs: number('think', argv.think),
    maxRetries: number('retries', argv.retries),
    keyPoolSize: number('key-pool', argv['key-pool']),
    seed: number('seed', argv.seed),
  };
  return definedOnly(config);
}

/** --csv, --plot and --json for a finished run of many configs; exit status 1 if isolation broke. */
async function output(argv: Args, results: WorkloadResult[], json: unknown, text: string, title: string, setExit: (code: number) => void): Promise<void> {
  const csv = toCsv(results);
  if (typeof argv.csv === 'string' && argv.csv !== '') await writeOutput('csv', argv.csv, csv);
  if (argv.plot) {
    const report = await plotResults(parseCsv(csv), argv.plot as string, title);
    process.stderr.write(`plots: ${report.plots.map((p) => p.path).join(', ')}, ${join(argv.plot as string, 'report.html')}\n`);
  }
  if (argv.csv === true || argv.csv === '') process.stdout.write(csv);
  else await emit(argv.json, json, `${text}${typeof argv.csv === 'string' ? `\ncsv: ${argv.csv}` : ''}`);
  if (results.some((r) => !r.isolation.ok)) setExit(1);
}

const onResult = (r: WorkloadResult, done: number, total: number): void => void process.stderr.write(`${progressLine(r, done, total)}\n`);

/** `contend sweep`, `contend chaos`, `contend plot`: the workload sweeps of doc/workload.md. */
export function workloadCommands(setExit: (code: number) => void): CommandModule<object, Args>[] {
  return [
    {
      command: 'sweep',
      describe: 'workload sweep: writer and reader fleets over a grid, optimistic writes, metrics, isolation checked per config',
      builder: (y) =>
        workloadOptions(y)
          .option('quick', { type: 'boolean', describe: `${sweepConfigs(QUICK_GRID).length} configs of ${QUICK_DURATION} s (default: fusio-manifest's ${sweepConfigs(FULL_GRID).length} of ${FULL_DURATION} s)` })
          .option('writers', { type: 'string', describe: 'comma list of writer counts' })
          .option('writer-rates', { type: 'string', describe: 'comma list of writes/s per writer' })
          .option('overlaps', { type: 'string', describe: 'comma list of key overlap ratios, 0–1' })
          .option('readers', { type: 'string', describe: 'comma list of reader counts' })
          .option('reader-rates', { type: 'string', describe: 'comma list of reads/s per reader' })
          .option('parallel', { ...numberArg, default: 2, describe: 'configs run at once (they share the cores)' })
          .example('$0 sweep --quick --csv sweep.csv --plot plots', 'a baseline in under a minute, with plots')
          .example('$0 sweep --quick --cas unlocked', 'the broken mode: isolation violations, exit status 1') as Argv<Args>,
      handler: async (argv) => {
        const grid: SweepGrid = argv.quick ? QUICK_GRID : FULL_GRID;
        const given: Partial<SweepGrid> = {
          writers: numbers('writers', argv.writers),
          writerRates: numbers('writer-rates', argv['writer-rates']),
          overlaps: numbers('overlaps', argv.overlaps),
          readers: numbers('readers', argv.readers),
          readerRates: numbers('reader-rates', argv['reader-rates']),
        };
        const configs = sweepConfigs(
          { ...grid, ...definedOnly(given) },
          { duration: argv.quick ? QUICK_DURATION : FULL_DURATION, ...baseConfig(argv) },
        );
        const parallel = sweepParallel(configs, argv.parallel);
        process.stderr.write(`sweep: ${configs.length} configs, ${configs[0]!.duration} s each, ${parallel} at a time\n`);
        const report = await runSweep(configs, { parallel, onResult });
        const json = { results: report.results.map(resultJson), best: report.best.map((r) => r.label), worst: report.worst.map((r) => r.label) };
        await output(argv, report.results, json, formatSweep(report), 'contend sweep', setExit);
      },
    },
    {
      command: 'chaos',
      describe: 'chaos scenarios (latency, blocked storage, CPU overload, combined) against a baseline of one config',
      builder: (y) =>
        workloadOptions(y)
          .option('quick', { type: 'boolean', describe: `${QUICK_DURATION} s per scenario (default ${FULL_DURATION})` })
          .option('from', { type: 'string', describe: 'a sweep CSV: run its best config (lowest failure rate, isolation held)' })
          .option('scenarios', { type: 'string', describe: `comma list of ${CHAOS_SCENARIOS.join(', ')} (default: all)` })
          .option('writers', { ...numberArg, describe: `writers (default ${WORKLOAD_DEFAULTS.writers})` })
          .option('writer-rate', { ...numberArg, describe: `writes/s per writer (default ${WORKLOAD_DEFAULTS.writerRate})` })
          .option('overlap', { ...numberArg, describe: `key overlap ratio (default ${WORKLOAD_DEFAULTS.keyOverlap})` })
          .option('readers', { ...numberArg, describe: `readers (default ${WORKLOAD_DEFAULTS.readers})` })
          .option('reader-rate', { ...numberArg, describe: `reads/s per reader (default ${WORKLOAD_DEFAULTS.readerRate})` })
          .example('$0 chaos --quick --csv chaos.csv --plot plots', 'every scenario, 2 s each')
          .example('$0 chaos --from sweep.csv --scenarios latency-20ms,cpu', "the sweep's best config under two scenarios") as Argv<Args>,
      handler: async (argv) => {
        let base: Partial<WorkloadConfig> = {};
        if (argv.from) {
          const rows = await readCsvArg('from', argv.from as string);
          const results = rows.filter((r) => r.isolation_ok !== 'false').sort((a, b) => Number(a.precondition_failure_rate) - Number(b.precondition_failure_rate));
          if (!results[0]) throw new InvalidOptionError('from', 'a sweep CSV with at least one config whose isolation held', argv.from);
          base = configOfRow(results[0]);
          process.stderr.write(`chaos: best config of ${argv.from}: ${results[0].config_label}\n`);
        }
        const single = {
          writers: number('writers', argv.writers),
          writerRate: number('writer-rate', argv['writer-rate']),
          keyOverlap: number('overlap', argv.overlap),
          readers: number('readers', argv.readers),
          readerRate: number('reader-rate', argv['reader-rate']),
        };
        const config = {
          ...base,
          duration: argv.quick ? QUICK_DURATION : (base.duration ?? FULL_DURATION),
          ...definedOnly(single),
          ...baseConfig(argv),
        };
        const scenarios = list(argv.scenarios) ?? [...CHAOS_SCENARIOS];
        if (scenarios.length === 0) throw new InvalidOptionError('scenarios', `a comma list of ${CHAOS_SCENARIOS.join(', ')}`, argv.scenarios);
        const report = await runChaos(config, scenarios, { onResult });
        const json = { results: report.results.map(resultJson), degradation: report.degradation };
        await output(argv, report.results, json, formatChaos(report), 'contend chaos', setExit);
      },
    },
    {
      command: 'plot <file>',
      describe: 'render a sweep or chaos CSV as SVG plots and one self-contained report.html',
      builder: (y) =>
        y
          .positional('file', { type: 'string', describe: 'a CSV written by `contend sweep` or `contend chaos` (or fusio-manifest\'s own tool)' })
          .option('out', { type: 'string', describe: 'directory for the images and report.html (default: FILE without .csv, plus -plots)' })
          .option('title', { type: 'string', describe: 'title of the report' })
          .example('$0 plot sweep.csv', 'writes sweep-plots/*.svg and sweep-plots/report.html') as Argv<Args>,
      handler: async (argv) => {
        const file = argv.file as string;
        const rows = await readCsvArg('file', file);
        requireRows(rows, file);
        const out = (argv.out as string | undefined) ?? join(dirname(file), `${basename(file).replace(/\.csv$/i, '')}-plots`);
        const report = await plotResults(rows, out, (argv.title as string | undefined) ?? `contend: ${basename(file)}`);
        await emit(
          argv.json,
          { plots: report.plots.map((p) => ({ name: p.name, title: p.title, path: p.path, bytes: p.svg.length })), report: join(out, 'report.html') },
          [...report.plots.map((p) => `${p.path}  ${p.title}`), `${join(out, 'report.html')}  the report: open it in a browser`].join('\n'),
        );
      },
    },
  ];
}
