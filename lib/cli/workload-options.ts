import { join } from 'node:path';
import type { Argv } from 'yargs';
import { definedOnly } from '../support/defined.js';
import { InvalidOptionError } from '../errors.js';
import { writeOutput } from '../support/outputs.js';
import { writeStrategyNames } from '../writes/index.js';
import { CAS_MODES, CLIENT_KINDS, CONFLICT_SCOPES, STORAGES, WORKLOAD_DEFAULTS, type WorkloadConfig } from '../workload/config.js';
import { parseCsv, toCsv } from '../workload/csv.js';
import { plotResults, requirePlotting } from '../workload/plot.js';
import { progressLine } from '../workload/report.js';
import type { WorkloadResult } from '../workload/run.js';
import type { Args } from './command.js';
import { emit, jsonBeside, list, numberArg, readInput } from './io.js';

// Values are checked by the library, so the CLI and the library give the same error.
export const workloadOptions = (y: Argv): Argv =>
  y
    .option('duration', { ...numberArg, describe: 'seconds per run' })
    .option('kind', { alias: 'workers-kind', type: 'string', describe: `clients run as: ${CLIENT_KINDS.join(', ')} (default ${WORKLOAD_DEFAULTS.kind})` })
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

export function numbers(name: string, v: unknown): number[] | undefined {
  const items = list(v);
  return items?.map((s) => {
    const n = Number(s);
    if (s === '' || Number.isNaN(n)) throw new InvalidOptionError(name, 'a comma list of numbers', s);
    return n;
  });
}

/** A CSV given on the command line, read and parsed. */
export async function readCsvArg(option: string, file: string): Promise<ReturnType<typeof parseCsv>> {
  return parseCsv(await readInput(option, file, 'CSV file'), file);
}

/** With --plot, the plotting stack must be there before a sweep or chaos run starts, not after it. */
export function checkPlotting(argv: Args): void {
  if (argv.plot) requirePlotting();
}

export function baseConfig(argv: Args): Partial<WorkloadConfig> {
  const config: Partial<WorkloadConfig> = {
    duration: argv.duration as number | undefined,
    kind: argv.kind as WorkloadConfig['kind'],
    storage: argv.storage as WorkloadConfig['storage'],
    lock: argv.lock as string,
    write: argv.write as string,
    cas: argv.cas as WorkloadConfig['cas'],
    conflict: argv.conflict as WorkloadConfig['conflict'],
    thinkMs: argv.think as number | undefined,
    maxRetries: argv.retries as number | undefined,
    keyPoolSize: argv['key-pool'] as number | undefined,
    seed: argv.seed as number | undefined,
  };
  return definedOnly(config);
}

/** --csv, --plot and --json for a finished run of many configs; exit status 1 if isolation broke. */
export async function output(argv: Args, results: WorkloadResult[], json: unknown, text: string, title: string, fail: () => void): Promise<void> {
  const csv = toCsv(results);
  if (typeof argv.csv === 'string' && argv.csv !== '') await writeOutput('csv', argv.csv, csv);
  if (argv.plot) {
    const report = await plotResults(parseCsv(csv), argv.plot as string, title);
    process.stderr.write(`plots: ${report.plots.map((p) => p.path).join(', ')}, ${join(argv.plot as string, 'report.html')}\n`);
  }
  if (argv.csv === true || argv.csv === '') {
    process.stdout.write(csv);
    await jsonBeside(argv.json, json);
  } else await emit(argv.json, json, `${text}${typeof argv.csv === 'string' ? `\ncsv: ${argv.csv}` : ''}`);
  if (results.some((r) => !r.isolation.ok)) fail();
}

export const onResult = (r: WorkloadResult, done: number, total: number): void => void process.stderr.write(`${progressLine(r, done, total)}\n`);

