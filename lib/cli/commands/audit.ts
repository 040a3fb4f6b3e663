import { formatAudit, formatAuditMarkdown, librarySpecs, propertyIds, runAudit, selectProperties } from '../../audit/index.js';
import { InvalidOptionError } from '../../errors.js';
import { writeOutput } from '../../support/outputs.js';
import type { CommandFactory } from '../command.js';
import { emit, jsonBeside, list, parseJsonOption } from '../io.js';

const audit: CommandFactory = ({ fail }) => ({
  builder: (y) =>
    y
      .option('libraries', { type: 'string', describe: 'comma list of locks and write strategies (default: the audited npm libraries, then any --lock-module / --write-module)' })
      .option('properties', { type: 'string', describe: `comma list of ${propertyIds().join(', ')} (default: all)` })
      .option('lock-options', { type: 'string', describe: 'JSON options to run the locks named in --libraries with, instead of their default rows' })
      .option('markdown', { describe: 'print Markdown for a README (or write it to the given file)' })
      .example('$0 audit', 'every library, every property (about a minute)')
      .example('$0 audit --libraries lockfile,steno --markdown audit.md', 'two rows, as Markdown')
      .example('$0 audit --lock-module ./my-lock.ts#MyLock --libraries my-lock', 'your own lock, beside nothing else'),
  handler: async (argv) => {
    // Properties first: a typo in one is said as such, not as the packages the default rows need.
    const properties = list(argv.properties);
    selectProperties(properties);
    const libraries = librarySpecs(list(argv.libraries), parseJsonOption('lock-options', argv['lock-options']));
    if (libraries.length === 0) throw new InvalidOptionError('libraries', 'a comma list of lock and write strategy names', argv.libraries);
    const report = await runAudit({
      libraries,
      ...(properties ? { properties } : {}),
      onCell: (c, done, total) => process.stderr.write(`[${done}/${total}] ${c.library} · ${c.property}: ${c.verdict}\n`),
    });
    // A 'no' is a finding about the library; an 'error' is a scenario that gave no answer.
    if (report.cells.some((c) => c.verdict === 'error')) fail();
    if (argv.markdown) {
      const markdown = formatAuditMarkdown(report);
      if (typeof argv.markdown === 'string' && argv.markdown !== '') {
        await writeOutput('markdown', argv.markdown, `${markdown}\n`);
        process.stderr.write(`written: ${argv.markdown}\n`);
      } else {
        process.stdout.write(`${markdown}\n`);
        return jsonBeside(argv.json, report);
      }
    }
    await emit(argv.json, report, formatAudit(report));
  },
});
export default audit;
