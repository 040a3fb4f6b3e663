import { formatSchedule, SCHEDULE_FORMATS, type ScheduleFormat } from '../../../schedules/format.js';
import { generateSchedule } from '../../../schedules/generate.js';
import { applyOrdering } from '../../../schedules/order.js';
import { ORDERINGS, PATTERNS, type Ordering, type Pattern } from '../../../schedules/types.js';
import type { CommandFactory } from '../command.js';
import { ContendError } from '../../errors.js';
import { writeOutput } from '../../support/outputs.js';
import { jsonFileOf, numberArg } from '../io.js';

const schedule: CommandFactory = () => ({
  builder: (y) =>
    y
      .option('workers', { ...numberArg, default: 5 })
      .option('period', { ...numberArg, default: 2 })
      .option('pattern', { type: 'string', default: 'staggered', describe: PATTERNS.join(', ') })
      .option('seed', { ...numberArg, describe: 'seed of the random pattern' })
      .option('order', { type: 'string', default: 'as-generated', describe: ORDERINGS.join(', ') })
      .option('format', { type: 'string', describe: `${SCHEDULE_FORMATS.join(', ')} (default table; json with --json alone)` })
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
    // --json FILE writes the JSON and prints the format asked for; --json alone prints JSON, so a
    // --format of another kind beside it asks for two things on one output.
    const file = jsonFileOf(argv.json);
    const asked = argv.format as ScheduleFormat | undefined;
    if (argv.json && !file && asked !== undefined && asked !== 'json') {
      throw new ContendError('E_USAGE', `--json prints the schedule as JSON, --format ${asked} as ${asked}: give one (or --json FILE to write the JSON to a file)`);
    }
    const format = asked ?? (argv.json && !file ? 'json' : 'table');
    const text = formatSchedule(ordered, format);
    if (file) await writeOutput('json', file, formatSchedule(ordered, 'json') + '\n');
    process.stdout.write(text + (format === 'svg' ? '' : '\n'));
    // Not after a JSON or SVG document, which would no longer parse.
    if (file && format !== 'json' && format !== 'svg') process.stdout.write(`written: ${file}\n`);
  },
});
export default schedule;
