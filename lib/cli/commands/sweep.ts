import type { Argv } from 'yargs';
import { definedOnly } from '../../support/defined.js';
import { resultJson, formatSweep } from '../../workload/report.js';
import { FULL_DURATION, FULL_GRID, QUICK_DURATION, QUICK_GRID, runSweep, sweepConfigs, sweepParallel, type SweepGrid } from '../../workload/sweep.js';
import type { CommandFactory } from '../command.js';
import { numberArg } from '../io.js';
import { baseConfig, checkPlotting, numbers, onResult, output, workloadOptions } from '../workload-options.js';

const sweep: CommandFactory = ({ fail }) => ({
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
      .example('$0 sweep --quick --cas unlocked', 'the broken mode: isolation violations, exit status 1') as Argv,
  handler: async (argv) => {
    checkPlotting(argv);
    const grid: SweepGrid = argv.quick ? QUICK_GRID : FULL_GRID;
    const given: Partial<SweepGrid> = {
      writers: numbers('writers', argv.writers),
      writerRates: numbers('writer-rates', argv['writer-rates']),
      overlaps: numbers('overlaps', argv.overlaps),
      readers: numbers('readers', argv.readers),
      readerRates: numbers('reader-rates', argv['reader-rates']),
    };
    const configs = sweepConfigs({ ...grid, ...definedOnly(given) }, { duration: argv.quick ? QUICK_DURATION : FULL_DURATION, ...baseConfig(argv) });
    const parallel = sweepParallel(configs, argv.parallel);
    process.stderr.write(`sweep: ${configs.length} configs, ${configs[0]!.duration} s each, ${parallel} at a time\n`);
    const report = await runSweep(configs, { parallel, onResult });
    const json = { results: report.results.map(resultJson), best: report.best.map((r) => r.label), worst: report.worst.map((r) => r.label) };
    await output(argv, report.results, json, formatSweep(report), 'contend sweep', fail);
  },
});
export default sweep;
