import { basename, dirname, join } from 'node:path';
import type { Argv } from 'yargs';
import { requireRows } from '../../workload/csv.js';
import { plotResults } from '../../workload/plot.js';
import type { CommandFactory } from '../command.js';
import { emit } from '../io.js';
import { readCsvArg } from '../workload-options.js';

const plot: CommandFactory = () => ({
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: "a CSV written by `contend sweep` or `contend chaos` (or fusio-manifest's own tool)" })
      .option('out', { type: 'string', describe: 'directory for the images and report.html (default: FILE without .csv, plus -plots)' })
      .option('title', { type: 'string', describe: 'title of the report' })
      .example('$0 plot sweep.csv', 'writes sweep-plots/*.svg and sweep-plots/report.html') as Argv,
  handler: async (argv) => {
    const file = argv.file as string;
    const rows = await readCsvArg('file', file);
    requireRows(rows, file);
    const out = (argv.out as string | undefined) ?? join(dirname(file), `${basename(file).replace(/\.csv$/i, '')}-plots`);
    const report = await plotResults(rows, out, (argv.title as string | undefined) ?? `contend: ${basename(file)}`);
    await emit(
      argv.json,
      { plots: report.plots.map((p) => ({ name: p.name, title: p.title, path: p.path, bytes: p.svg.length })), report: join(out, 'report.html') },
      [...report.plots.map((p) => `${p.path}  ${p.title}`), `${join(out, 'report.html')}  the report: open it in a browser`].join('\n'),
    );
  },
});
export default plot;
