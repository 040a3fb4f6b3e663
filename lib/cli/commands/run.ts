import { ORDERINGS, type Ordering } from '../../../schedules/types.js';
import { WORKER_KINDS, type WorkerKind } from '../../locks/types.js';
import { sameVector } from '../../matrix.js';
import { formatVector } from '../../outcome.js';
import { runCase } from '../../run-case.js';
import { caseFrom, caseOptions } from '../case-options.js';
import type { CommandFactory } from '../command.js';
import { emit } from '../io.js';

const run: CommandFactory = ({ fail }) => ({
  builder: (y) =>
    caseOptions(y)
      .option('workers-kind', { type: 'string', default: 'async', describe: `worker kind: ${WORKER_KINDS.join(', ')}` })
      .option('lock', { type: 'string', default: 'none', describe: 'lock adapter (see `contend locks`)' })
      .option('order', { type: 'string', default: 'force-write', describe: ORDERINGS.join(', ') })
      .option('trace', { type: 'boolean', describe: 'print every step the driver took' })
      .example('$0 run --workers-kind process --lock flock --order force-write', 'five processes, a kernel lock'),
  handler: async (argv) => {
    const result = await runCase({
      ...caseFrom(argv),
      kind: argv['workers-kind'] as WorkerKind,
      lock: argv.lock as string,
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
    if (verdict === 'FAIL') fail();
  },
});
export default run;
