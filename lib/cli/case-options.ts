import type { Argv } from 'yargs';
import type { Pattern } from '../../schedules/types.js';
import { PATTERNS } from '../../schedules/types.js';
import { MODES, type CaseOptions, type Mode } from '../case/options.js';
import { GRANULARITIES, type Granularity } from '../case/protocol.js';
import { writeStrategyNames } from '../writes/index.js';
import type { Args } from './command.js';
import { numberArg, parseJsonOption } from './io.js';

// Values are checked by the library, not by yargs, so the CLI and the library give the same error;
// and their defaults are the library's, so an option given can be told from one left out.
export const caseOptions = (y: Argv): Argv =>
  y
    .option('workers', { ...numberArg, describe: 'number of actors (default 5; a schedule file given to run has its own)' })
    .option('mode', { type: 'string', describe: `driver mode: ${MODES.join(', ')} (default step)` })
    .option('period', { ...numberArg, describe: 'seconds between ticks (period mode sleeps it; default 2)' })
    .option('pattern', { type: 'string', describe: `schedule pattern: ${PATTERNS.join(', ')} (default staggered)` })
    .option('seed', { ...numberArg, describe: 'seed of the random pattern' })
    .option('granularity', { type: 'string', describe: `lock held: ${GRANULARITIES.join(', ')} (default lifetime)` })
    .option('write', { type: 'string', describe: `write strategy: ${writeStrategyNames().join(', ')} (default truncate)` })
    .option('calibrate', { type: 'boolean', describe: 'period mode: raise the period when a read+write takes over a tenth of it (default; --no-calibrate keeps it)' })
    .option('lock-options', { type: 'string', describe: 'the lock\'s options as JSON, e.g. \'{"staleMs":2000}\' or \'{"url":"redis://127.0.0.1:6379"}\' (see `contend locks`)' });

export function caseFrom(argv: Args): Omit<CaseOptions, 'kind' | 'lock'> {
  return {
    ...(argv.workers !== undefined ? { workers: argv.workers as number } : {}),
    ...(argv.mode !== undefined ? { mode: argv.mode as Mode } : {}),
    ...(argv.period !== undefined ? { period: argv.period as number } : {}),
    ...(argv.pattern !== undefined ? { pattern: argv.pattern as Pattern } : {}),
    ...(argv.seed !== undefined ? { seed: argv.seed as number } : {}),
    ...(argv.granularity !== undefined ? { granularity: argv.granularity as Granularity } : {}),
    ...(argv.write !== undefined ? { write: argv.write as string } : {}),
    ...(argv.calibrate === false ? { calibrate: false } : {}),
    ...(argv['lock-options'] !== undefined ? { lockOptions: parseJsonOption('lock-options', argv['lock-options']) } : {}),
  };
}
