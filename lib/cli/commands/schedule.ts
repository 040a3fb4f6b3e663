import { formatSchedule, SCHEDULE_FORMATS, type ScheduleFormat } from '../../../schedules/format.js';
import { generateSchedule } from '../../../schedules/generate.js';
import { applyOrdering } from '../../../schedules/order.js';
import { ORDERINGS, PATTERNS, type Ordering, type Pattern } from '../../../schedules/types.js';
import type { CommandFactory } from '../command.js';
import { numberArg } from '../io.js';

const schedule: CommandFactory = () => ({
  builder: (y) =>
    y
      .option('workers', { ...numberArg, default: 5 })
      .option('period', { ...numberArg, default: 2 })
      .option('pattern', { type: 'string', default: 'staggered', describe: PATTERNS.join(', ') })
      .option('seed', { ...numberArg, describe: 'seed of the random pattern' })
      .option('order', { type: 'string', default: 'as-generated', describe: ORDERINGS.join(', ') })
      .option('format', { type: 'string', default: 'table', describe: SCHEDULE_FORMATS.join(', ') })
      .example('$0 schedule --workers 5 --period 2', 'the staggered overlap table')
      .example('$0 schedule --format timeline --order force-write', 'one row per worker'),
  handler: async (argv) => {
    const ordered = applyOrdering(
      generateSchedule({
        workers: argv.workers as number,
        period: argv.period as number,
        pattern: argv.pattern as Pattern,
        ...(argv.seed !== undefined ? { seed: argv.seed as number } : {}),
      }),
      argv.order as Ordering,
    );
    const format = (argv.json ? 'json' : argv.format) as ScheduleFormat;
    process.stdout.write(formatSchedule(ordered, format) + (format === 'svg' ? '' : '\n'));
  },
});
export default schedule;
