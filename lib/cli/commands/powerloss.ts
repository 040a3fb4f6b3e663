import { runPowerloss, type PowerlossReport } from '../../powerloss/run.js';
import { writeStrategyNames } from '../../writes/index.js';
import type { CommandFactory } from '../command.js';
import { emit, list } from '../io.js';
import { formatColumns } from '../../case/report.js';
import { WORKER_KINDS, type WorkerKind } from '../../locks/types.js';

function report(r: PowerlossReport): string {
  const kinds = ['torn', 'empty', 'missing', 'acknowledged save lost'] as const;
  const table = formatColumns([
    ['strategy', 'claims durable', 'operations', 'states', ...kinds],
    ...r.rows.map((row) => [row.strategy, row.durable ? 'yes' : 'no', String(row.operations), String(row.states), ...kinds.map((k) => String(row.bad[k] ?? 0))]),
  ]);
  const roads = r.rows.flatMap((row) => Object.entries(row.shortest).map(([kind, road]) => `${row.strategy} · ${kind}: ${road}`));
  const unseen = r.rows.flatMap((row) => (row.unseen.length ? [`${row.strategy}: not recorded: ${row.unseen.join(', ')}`] : []));
  return [table, '', ...(roads.length ? ['shortest road to each bad state:', ...roads.map((l) => `  ${l}`), ''] : []), ...unseen, r.failed ? 'FAIL: a strategy that claims durability loses or tears a save' : 'PASS: no strategy that claims durability loses or tears a save'].join('\n');
}

const powerloss: CommandFactory = ({ fail }) => ({
  builder: (y) =>
    y
      .option('strategies', { type: 'string', describe: `comma list of ${writeStrategyNames().join(', ')} (default: every one installed)` })
      .option('kind', { type: 'string', describe: `where each save runs while recorded: ${WORKER_KINDS.join(', ')} (default async)` })
      .example('$0 powerloss', 'every crash state a power cut can leave of each strategy\'s save')
      .example('$0 powerloss --strategies atomic,atomic-dirsync --json', 'two of them, as JSON'),
  handler: async (argv) => {
    const result = await runPowerloss({
      ...(argv.strategies === undefined ? {} : { strategies: list(argv.strategies) ?? [] }),
      ...(argv.kind === undefined ? {} : { kind: argv.kind as WorkerKind }),
    });
    const json = { ...result, rows: result.rows };
    await emit(argv.json, json, report(result));
    if (result.failed) fail();
  },
});
export default powerloss;
