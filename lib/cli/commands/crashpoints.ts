import { formatColumns } from '../../case/report.js';
import { crashPoints, type CrashPoint } from '../../stress/crashpoints.js';
import { writeStrategyNames } from '../../writes/index.js';
import type { CommandFactory } from '../command.js';
import { emit, numberArg } from '../io.js';

const crashpoints: CommandFactory = () => ({
  builder: (y) =>
    y
      .option('strategy', { type: 'string', default: 'atomic', describe: `write strategy: ${writeStrategyNames().join(', ')}` })
      .option('items', { ...numberArg, default: 5000, describe: 'entries in the saved document (5000, as in the MDV JSON write stress tests)' })
      .example('$0 crashpoints --strategy truncate', 'where a truncating save leaves an empty or torn file'),
  handler: async (argv) => {
    const progress = process.stderr.isTTY === true;
    const table = await crashPoints({
      strategy: argv.strategy as string,
      items: argv.items as number,
      // Progress on a terminal only: in a log, each \r line would be one more line of noise.
      ...(progress ? { onPoint: (p: CrashPoint, total: number) => void process.stderr.write(`\r[${p.k ?? total}/${total}] ${p.state.padEnd(8)}`) } : {}),
    });
    if (progress) process.stderr.write('\n');
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
});
export default crashpoints;
