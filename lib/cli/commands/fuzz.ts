import { runFuzz } from '../../fuzz/harness.js';
import { writeStrategyNames } from '../../writes/index.js';
import type { CommandFactory } from '../command.js';
import { emit, numberArg } from '../io.js';
import { counted } from '../../support/counted.js';

const fuzz: CommandFactory = ({ fail }) => ({
  builder: (y) =>
    y
      .option('children', { ...numberArg, default: 4, describe: 'writer processes per wave' })
      .option('waves', { ...numberArg, default: 2, describe: 'kill waves; each after the first starts again from sequence 0' })
      .option('lock', { type: 'string', default: 'flock', describe: 'lock adapter of the store (see `contend locks`)' })
      .option('write', { type: 'string', default: 'atomic', describe: `write strategy of the store: ${writeStrategyNames().join(', ')}` })
      .option('cycles', { ...numberArg, default: 1, describe: 'repeat the waves, each kill after a seeded random delay (a soak)' })
      .option('seed', { ...numberArg, describe: "seed of the soak's kill delays" })
      .example('$0 fuzz --lock none', 'an unsafe pair: lost updates are reported')
      .example('$0 fuzz --cycles 50 --seed 7', 'a soak of flock + atomic'),
  handler: async (argv) => {
    let kills = 0;
    let violations = 0;
    const report = await runFuzz({
      children: argv.children as number,
      waves: argv.waves as number,
      lock: argv.lock as string,
      write: argv.write as string,
      cycles: argv.cycles as number,
      ...(argv.seed !== undefined ? { seed: argv.seed as number } : {}),
      onWave: (w) => {
        const puts = w.puts.reduce((a, b) => a + b, 0);
        kills += w.puts.length;
        violations += w.violations.length;
        process.stderr.write(`wave ${w.wave}: puts ${w.puts.join(' ')} (${puts} in all, ${((puts * 1000) / w.ms).toFixed(0)}/s), kills ${kills}, violations ${violations}\n`);
      },
    });
    const lines = [
      `store with lock ${report.lock}, write ${report.write}: ${counted(report.children, 'child', 'children')}, ${counted(report.waves.length, 'wave')}, ${counted(report.puts, 'put')}, ${counted(report.kills, 'kill')}`,
      ...report.waves.map((w) => `wave ${w.wave}: puts ${w.puts.join(' ')}`),
      report.ok ? 'no violation: every journaled put is stored, nothing went backwards, the store parses' : `${counted(report.violations.length, 'violation')}:`,
      ...report.violations.map((v) => `  wave ${v.wave} ${v.kind}: ${v.detail}`),
    ];
    await emit(argv.json, report, lines.join('\n'));
    if (!report.ok) fail();
  },
});
export default fuzz;
