import { lockNames, lockRegistry } from '../../locks/registry.js';
import { formatColumns } from '../../case/report.js';
import type { CommandFactory } from '../command.js';
import { emit } from '../io.js';

const locks: CommandFactory = () => ({
  builder: (y) => y,
  handler: async (argv) => {
    const adapters = lockNames().map((n) => lockRegistry.lookup(n).adapter);
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
});
export default locks;
