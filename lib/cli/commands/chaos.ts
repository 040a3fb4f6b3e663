import type { Argv } from 'yargs';
import { definedOnly } from '../../support/defined.js';
import { someOf } from '../../support/check.js';
import { InvalidOptionError } from '../../errors.js';
import { lockNames } from '../../locks/registry.js';
import { writeStrategyNames } from '../../writes/index.js';
import { CHAOS_SCENARIOS } from '../../workload/chaos.js';
import { WORKLOAD_DEFAULTS, type WorkloadConfig } from '../../workload/config.js';
import { configOfRow } from '../../workload/csv.js';
import { formatChaos, resultJson } from '../../workload/report.js';
import { FULL_DURATION, QUICK_DURATION, runChaos } from '../../workload/sweep.js';
import type { CommandFactory } from '../command.js';
import { list, numberArg } from '../io.js';
import { baseConfig, checkPlotting, onResult, output, readCsvArg, workloadOptions } from '../workload-options.js';

const chaos: CommandFactory = ({ fail }) => ({
  builder: (y) =>
    workloadOptions(y)
      .option('quick', { type: 'boolean', describe: `${QUICK_DURATION} s per scenario (default ${FULL_DURATION})` })
      .option('from', { type: 'string', describe: 'a sweep CSV: run its best config (lowest failure rate, isolation held)' })
      .option('scenarios', { type: 'string', describe: `comma list of ${CHAOS_SCENARIOS.join(', ')} (default: all)` })
      .option('writers', { ...numberArg, describe: `writers (default ${WORKLOAD_DEFAULTS.writers})` })
      .option('writer-rate', { ...numberArg, describe: `writes/s per writer (default ${WORKLOAD_DEFAULTS.writerRate})` })
      .option('overlap', { ...numberArg, describe: `key overlap ratio (default ${WORKLOAD_DEFAULTS.keyOverlap})` })
      .option('readers', { ...numberArg, describe: `readers (default ${WORKLOAD_DEFAULTS.readers})` })
      .option('reader-rate', { ...numberArg, describe: `reads/s per reader (default ${WORKLOAD_DEFAULTS.readerRate})` })
      .example('$0 chaos --quick --csv chaos.csv --plot plots', 'every scenario, 2 s each')
      .example('$0 chaos --from sweep.csv --scenarios latency-20ms,cpu', "the sweep's best config under two scenarios") as Argv,
  handler: async (argv) => {
    checkPlotting(argv);
    let base: Partial<WorkloadConfig> = {};
    if (argv.from) {
      const rows = await readCsvArg('from', argv.from as string);
      const results = rows.filter((r) => r.isolation_ok !== 'false').sort((a, b) => Number(a.precondition_failure_rate) - Number(b.precondition_failure_rate));
      if (!results[0]) throw new InvalidOptionError('from', 'a sweep CSV with at least one config whose isolation held', argv.from);
      base = configOfRow(results[0]);
      // A sweep of an adapter of the user's names it in the CSV; this run must load it again.
      const from = (own: string): string => `named by the best config of ${argv.from as string}; ${own} of your own is loaded with --${own === 'a lock' ? 'lock' : 'write'}-module FILE#EXPORT, as for the sweep`;
      if (base.lock !== undefined && !lockNames().includes(base.lock)) throw new InvalidOptionError('lock', lockNames().join(', '), base.lock, from('a lock'));
      if (base.write !== undefined && !writeStrategyNames().includes(base.write)) throw new InvalidOptionError('write strategy', writeStrategyNames().join(', '), base.write, from('a strategy'));
      process.stderr.write(`chaos: best config of ${argv.from}: ${results[0].config_label}\n`);
    }
    const single = {
      writers: argv.writers as number | undefined,
      writerRate: argv['writer-rate'] as number | undefined,
      keyOverlap: argv.overlap as number | undefined,
      readers: argv.readers as number | undefined,
      readerRate: argv['reader-rate'] as number | undefined,
    };
    const config = {
      ...base,
      duration: argv.quick ? QUICK_DURATION : (base.duration ?? FULL_DURATION),
      ...definedOnly(single),
      ...baseConfig(argv),
    };
    const scenarios = someOf('chaos scenario', CHAOS_SCENARIOS, list(argv.scenarios));
    const report = await runChaos(config, scenarios, { onResult });
    const json = { results: report.results.map(resultJson), degradation: report.degradation };
    await output(argv, report.results, json, formatChaos(report), 'contend chaos', fail);
  },
});
export default chaos;
