import { ORDERINGS, type Ordering } from '../../../schedules/types.js';
import { ecosystemLocks } from '../../locks/index.js';
import { WORKER_KINDS, type WorkerKind } from '../../locks/types.js';
import { runMatrix } from '../../case/matrix.js';
import { formatMatrix, matrixRowCells } from '../../case/report.js';
import { caseFrom, caseOptions } from '../case-options.js';
import type { CommandFactory } from '../command.js';
import { emit, list, numberArg } from '../io.js';

const matrix: CommandFactory = ({ fail }) => ({
  builder: (y) =>
    caseOptions(y)
      .option('kinds', { type: 'string', describe: `comma list of ${WORKER_KINDS.join(', ')}` })
      .option('locks', { type: 'string', describe: `comma list of lock names (default: every lock but ${[...ecosystemLocks].join(', ')})` })
      .option('orders', { type: 'string', describe: `comma list of ${ORDERINGS.join(', ')} (default: force-write, force-read)` })
      .option('repeat', { ...numberArg, default: 1, describe: 'run each case N times; all must agree' })
      .option('cpu-load', { ...numberArg, default: 0, describe: 'keep N busy threads running meanwhile' })
      .option('explore', { type: 'boolean', describe: 'also explore every interleaving of each lock of yours that claims to exclude a kind (default; --no-explore: the step schedule alone)' })
      .example('$0 matrix', 'the 30 cases of the staggered overlap table, in step mode')
      .example('$0 matrix --repeat 100 --cpu-load 1', 'determinism under load'),
  handler: async (argv) => {
    const started = performance.now();
    const rows = await runMatrix(
      {
        ...caseFrom(argv),
        ...(argv.kinds ? { kinds: list(argv.kinds) as WorkerKind[] } : {}),
        ...(argv.locks ? { locks: list(argv.locks)! } : {}),
        ...(argv.orders ? { orders: list(argv.orders) as Ordering[] } : {}),
        repeat: argv.repeat as number,
        cpuLoad: argv['cpu-load'] as number,
        ...(argv.explore === false ? { explore: false } : {}),
      },
      (row, i, total) => process.stderr.write(`[${i + 1}/${total}] ${matrixRowCells(row).join('  ')}\n`),
    );
    const ms = performance.now() - started;
    const failed = rows.filter((r) => r.verdict !== 'pass').length;
    const errors = rows.filter((r) => r.verdict === 'error').length;
    const explored = new Set(rows.flatMap((r) => (r.explored ? [`${r.options.lock} (${r.options.kind}): ${r.explored.schedules} schedules${r.explored.stretched ? ` (with ${r.explored.stretched})` : ''}${r.explored.broken ? `, broken: ${r.explored.broken}` : ', none forbidden'}`] : [])));
    // The replay's command-line form: its literal for the library (and a case's schedule) are in --json.
    const reruns = rows.flatMap((r) => {
      const command = r.replay?.split('\n').find((line) => /^contend (run|explore) --replay /.test(line));
      return command ? [`  ${r.options.kind} ${r.options.lock} ${r.options.order ?? 'force-write'}: ${command}`] : [];
    });
    const text = [
      formatMatrix(rows),
      ...(explored.size ? ['', 'explored, 2 actors within 2 preemptions:', ...[...explored].map((e) => `  ${e}`)] : []),
      ...(reruns.length ? ['', 'to rerun a row that did not pass:', ...reruns] : []),
      '',
      `${rows.length - failed} passed, ${failed} failed${errors ? ` (${errors} of them with an error)` : ''} in ${(ms / 1000).toFixed(2)} s`,
    ].join('\n');
    const json = rows.map(({ last: _last, ...r }) => r);
    await emit(argv.json, { rows: json, ms, passed: rows.length - failed, failed, errors }, text);
    if (failed) fail();
  },
});
export default matrix;
