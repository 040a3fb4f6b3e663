import { ORDERINGS, type Ordering } from '../../../schedules/types.js';
import { InvalidOptionError } from '../../errors.js';
import type { CaseOptions } from '../../case/options.js';
import { WORKER_KINDS, type WorkerKind } from '../../locks/types.js';
import { sameVector } from '../../case/matrix.js';
import { formatVector } from '../../case/outcome.js';
import { runCase } from '../../case/run-case.js';
import { caseFrom, caseOptions } from '../case-options.js';
import type { Args, CommandFactory } from '../command.js';
import { emit, readInput } from '../io.js';
import { counted } from '../../support/counted.js';

/** The case options a failure printed: the JSON inside `runCase(…)`, or the whole call. */
function parseReplay(text: string): CaseOptions {
  const json = text.trim().replace(/^runCase\(([\s\S]*)\)$/, '$1');
  try {
    const value: unknown = JSON.parse(json);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as CaseOptions;
  } catch {
    // said below, as for any other value that is not an object
  }
  throw new InvalidOptionError('replay', 'the JSON object a failure printed, as in runCase({...}) or contend run --replay \'{...}\'', text);
}

/** A schedule file as `contend schedule --format json` writes it; what is in it is checked with the case. */
async function readSchedule(file: string): Promise<unknown> {
  const text = await readInput('schedule', file, 'JSON schedule file');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidOptionError('schedule', 'a JSON schedule file, as `contend schedule --format json` prints', file, (error as Error).message);
  }
}

async function caseOf(argv: Args): Promise<CaseOptions> {
  if (typeof argv.replay === 'string') return parseReplay(argv.replay);
  return {
    ...caseFrom(argv),
    kind: (argv['workers-kind'] ?? 'async') as WorkerKind,
    lock: (argv.lock ?? 'none') as string,
    ...(argv.order !== undefined ? { order: argv.order as Ordering } : {}),
    ...(typeof argv.schedule === 'string' ? { schedule: (await readSchedule(argv.schedule)) as CaseOptions['schedule'] } : {}),
  };
}

const run: CommandFactory = ({ fail }) => ({
  builder: (y) =>
    caseOptions(y)
      .option('workers-kind', { alias: 'kind', type: 'string', describe: `worker kind: ${WORKER_KINDS.join(', ')} (default async)` })
      .option('lock', { type: 'string', describe: 'lock adapter (see `contend locks`; default none)' })
      .option('order', { type: 'string', describe: `${ORDERINGS.join(', ')} (default force-write)` })
      .option('trace', { type: 'boolean', describe: 'print every action the driver sent and what became of it' })
      .option('schedule', { type: 'string', describe: 'a JSON schedule file (`contend schedule --format json` writes one) instead of a generated schedule' })
      .option('replay', { type: 'string', describe: 'rerun a case from the literal a failure printed; it gives every case option' })
      .conflicts('replay', ['schedule', 'workers', 'mode', 'period', 'pattern', 'seed', 'granularity', 'write', 'workers-kind', 'lock', 'order', 'calibrate'])
      // A schedule file has its own period, pattern and seed.
      .conflicts('schedule', ['period', 'pattern', 'seed'])
      .example('$0 run --workers-kind process --lock flock --order force-write', 'five processes, a kernel lock')
      .example('$0 run --replay \'{"kind":"process","lock":{"module":"./my-lock.ts","export":"MyLock"},…}\'', 'rerun what a failure printed'),
  handler: async (argv) => {
    const result = await runCase(await caseOf(argv));
    const verdict = sameVector(result.outcomes, result.predicted) ? 'PASS' : 'FAIL';
    const lines = [
      `case      ${result.case.kind} × ${result.case.lock} × ${result.case.order}, ${counted(result.case.workers, 'worker')}, ${result.case.mode} mode, ${result.case.granularity}, write ${result.case.write}`,
      `observed  ${formatVector(result.outcomes)}${result.race ? '  (race)' : '  (no race)'}`,
      `expected  ${formatVector(result.predicted)}  (rule: ${result.expectedRace ? 'race' : 'no race'}${result.predicted.length === 0 ? ', but the schedule has no read to show it' : ''})`,
      `reads     ${result.reads.map((r) => `${r.worker}:${r.outcome}${r.by ? `←${r.by}` : ''}`).join(' ')}`,
      `verdict   ${verdict}  in ${result.ms.toFixed(1)} ms${result.calibration ? `, period ${result.calibration.period.toFixed(4)} s` : ''}`,
    ];
    if (argv.trace) lines.push('trace', ...result.trace.map((t) => `  tick ${t.tick < 0 ? 'end' : t.tick}  worker ${t.worker}  ${t.op}  ${t.status}`));
    if (verdict === 'FAIL') lines.push(`replay    ${result.replay}`);
    await emit(argv.json, result, lines.join('\n'));
    if (verdict === 'FAIL') fail();
  },
});
export default run;
