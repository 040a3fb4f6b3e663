import { someOf } from '../../support/check.js';
import { formatColumns } from '../../case/report.js';
import { traceDurability } from '../../stress/durability.js';
import { resolveWriteStrategy, writeRegistry, writeStrategyNames } from '../../writes/index.js';
import type { CommandFactory } from '../command.js';
import { emit, list } from '../io.js';

const durability: CommandFactory = () => ({
  builder: (y) =>
    y
      .option('strategies', { type: 'string', describe: `comma list of ${writeStrategyNames().join(', ')} (default: all whose package is installed)` })
      .example('$0 durability --strategies atomic,write-file-atomic', 'data and directory fsyncs, with the step that shows each'),
  handler: async (argv) => {
    const names = someOf('strategy', writeStrategyNames(), list(argv.strategies), writeRegistry.installed());
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
});
export default durability;
