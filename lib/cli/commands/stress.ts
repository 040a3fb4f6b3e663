import { WORKER_KINDS, type WorkerKind } from '../../locks/types.js';
import { formatStress, runStress, SCENARIOS, type Scenario } from '../../stress/index.js';
import { writeStrategyNames } from '../../writes/index.js';
import type { CommandFactory } from '../command.js';
import { emit, list, numberArg } from '../io.js';

const stress: CommandFactory = () => ({
  builder: (y) =>
    y
      .option('strategies', { type: 'string', describe: `comma list of ${writeStrategyNames().join(', ')} (default: all whose package is installed)` })
      .option('scenarios', { type: 'string', describe: `comma list of ${SCENARIOS.join(', ')} (default: all)` })
      .option('kinds', { type: 'string', describe: `worker kinds of the concurrent scenario: ${WORKER_KINDS.join(', ')} (default: all)` })
      .option('trials', { ...numberArg, describe: 'kills per strategy (interrupted), iterations (concurrent, constrained)' })
      .option('seed', { ...numberArg, describe: 'seed of the kill moments (interrupted); what each kill finds still varies with timing: crashpoints is the exact form' })
      .example('$0 stress --strategies truncate,atomic --json stress.json', 'the stress table for two strategies'),
  handler: async (argv) => {
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
});
export default stress;
