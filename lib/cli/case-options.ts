import type { Argv } from 'yargs';
import type { Pattern } from '../../schedules/types.js';
import { PATTERNS } from '../../schedules/types.js';
import { MODES, type CaseOptions, type Mode } from '../options.js';
import { GRANULARITIES, type Granularity } from '../protocol.js';
import { writeStrategyNames } from '../writes/index.js';
import type { Args } from './command.js';
import { numberArg } from './io.js';

// Values are checked by the library, not by yargs, so the CLI and the library give the same error.
export const caseOptions = (y: Argv): Argv =>
  y
    .option('workers', { ...numberArg, default: 5, describe: 'number of actors' })
    .option('mode', { type: 'string', default: 'step', describe: `driver mode: ${MODES.join(', ')}` })
    .option('period', { ...numberArg, describe: 'seconds between ticks (period mode sleeps it; default 2)' })
    .option('pattern', { type: 'string', default: 'staggered', describe: `schedule pattern: ${PATTERNS.join(', ')}` })
    .option('seed', { ...numberArg, describe: 'seed of the random pattern' })
    .option('granularity', { type: 'string', default: 'lifetime', describe: `lock held: ${GRANULARITIES.join(', ')}` })
    .option('write', { type: 'string', default: 'truncate', describe: `write strategy: ${writeStrategyNames().join(', ')}` })
    .option('calibrate', { type: 'boolean', default: true, describe: 'period mode: raise the period when a read+write takes over a tenth of it (--no-calibrate keeps it)' });

export function caseFrom(argv: Args): Omit<CaseOptions, 'kind' | 'lock'> {
  return {
    workers: argv.workers as number,
    mode: argv.mode as Mode,
    ...(argv.period !== undefined ? { period: argv.period as number } : {}),
    pattern: argv.pattern as Pattern,
    ...(argv.seed !== undefined ? { seed: argv.seed as number } : {}),
    granularity: argv.granularity as Granularity,
    write: argv.write as string,
    ...(argv.calibrate === false ? { calibrate: false } : {}),
  };
}
