import { ContendError, InvalidOptionError } from '../../errors.js';
import { WORKER_KINDS } from '../../locks/types.js';
import { moduleReference } from '../../modules/registry.js';
import { explore, SEARCHES, type ExploreOptions, type ExploreResult } from '../../explore/explore.js';
import type { Args, CommandFactory } from '../command.js';
import { emit, numberArg, parseJsonOption } from '../io.js';
import { checkOutputFile, writeOutput } from '../../support/outputs.js';
import { timelineHtml, timelineSvg } from '../../explore/timeline.js';
import { counted } from '../../support/counted.js';

/** The options a failure printed: the JSON inside `explore(…)`, or the whole call. */
function parseReplay(text: string): ExploreOptions {
  const json = text.trim().replace(/^explore\(([\s\S]*)\)$/, '$1');
  try {
    const value: unknown = JSON.parse(json);
    if (value && typeof value === 'object' && !Array.isArray(value) && Array.isArray((value as { replay?: unknown }).replay)) return value as ExploreOptions;
  } catch {
    // said below, as for any other value that is not such an object
  }
  throw new InvalidOptionError('replay', 'the JSON object a failure printed, as in explore({...}) or contend explore --replay \'{...}\'', text);
}

const pick = <K extends keyof ExploreOptions>(key: K, value: unknown): Partial<ExploreOptions> => (value === undefined ? {} : ({ [key]: value } as Partial<ExploreOptions>));

/** Where a run's files live and how long a step may take: a replay's too (the literal says neither). */
const placeOf = (argv: Args): Partial<ExploreOptions> => ({ ...pick('dir', argv.dir), ...pick('stepTimeoutMs', argv['step-timeout-ms']) });

async function optionsOf(argv: Args): Promise<ExploreOptions> {
  if (typeof argv.replay === 'string') return { ...parseReplay(argv.replay), ...placeOf(argv) };
  const registered = argv['lock-module'] as string[] | undefined;
  // --lock-module alone explores the lock it loaded; the CLI registered it under its own name.
  const lock = argv.lock ?? (registered?.length === 1 ? await lockNameOf(registered[0]!) : undefined);
  return {
    ...pick('lock', lock),
    ...pick('lockOptions', argv['lock-options'] === undefined ? undefined : parseJsonOption('lock-options', argv['lock-options'])),
    ...pick('strategy', argv.strategy),
    ...(typeof argv.ops === 'string' ? { ops: await moduleReference('ops', argv.ops) } : {}),
    ...pick('kind', argv.kind),
    ...pick('workers', argv.workers),
    ...pick('search', argv.search),
    ...pick('preemptions', argv.preemptions),
    ...pick('reduce', argv.reduce),
    ...pick('depth', argv.depth),
    ...pick('maxSteps', argv['max-steps']),
    ...pick('budget', argv.budget),
    ...pick('time', argv.time),
    ...pick('seed', argv.seed === undefined ? undefined : String(argv.seed)),
    ...pick('stopAtFailure', argv['stop-at-failure']),
    ...placeOf(argv),
  };
}

async function lockNameOf(spec: string): Promise<string> {
  const { lockRegistry } = await import('../../locks/registry.js');
  const ref = await moduleReference('lock-module', spec);
  return (await lockRegistry.load(ref, spec)).name;
}

function report(r: ExploreResult): string {
  // A replay searched nothing: it reran one schedule, as many times as its budget says.
  const replayed = r.search === 'replay';
  const width = Math.max(7, ...r.outcomes.map((o) => o.outcome.length));
  const lines = [
    `explored ${r.subject} with ${counted(r.workers, `${r.kind} actor`)} (${r.search}): ${replayed ? `${counted(r.schedules, 'run')} of the replayed schedule` : `${counted(r.schedules, 'schedule')}${r.exhaustive ? ', every one within the bound' : ''}`}${r.pruned ? `; reduction skipped ${counted(r.pruned, 'choice')}` : ''}${r.redundant ? `, ${counted(r.redundant, 'run')} cut short as reorderings` : ''} in ${(r.ms / 1000).toFixed(1)} s`,
    ...(r.guarantee ? [`pct: ${r.guarantee}`] : []),
    '',
    `${'outcome'.padEnd(width)}  ${'count'.padStart(7)}  grade`,
    ...r.outcomes.map((o) => `${o.outcome.padEnd(width)}  ${String(o.count).padStart(7)}  ${o.grade}`),
    '',
  ];
  if (r.failure) {
    lines.push(`FAIL: ${r.failure.outcome}, in ${counted(r.failure.steps.length, 'step')} with ${counted(r.failure.preemptions, 'preemption')}:`, r.failure.timeline, '', 'replay:', r.failure.replay);
  } else lines.push(`PASS: no forbidden outcome${replayed ? ` in ${counted(r.schedules, 'run')} of the replayed schedule` : r.exhaustive ? ' in any schedule within the bound' : ` in ${counted(r.schedules, 'schedule')}`}`);
  lines.push(`not seen: ${r.unseen}`);
  return lines.join('\n');
}

const exploreCommand: CommandFactory = ({ fail }) => ({
  builder: (y) =>
    y
      .option('lock', { type: 'string', describe: 'explore a lock adapter under the standard actor (see `contend locks`)' })
      .option('lock-options', { type: 'string', describe: 'the lock\'s options as JSON (see `contend locks`)' })
      .option('strategy', { type: 'string', describe: 'explore a write strategy (with --lock: the actor saves with it)' })
      .option('ops', { type: 'string', describe: 'explore operations of your own: MODULE#EXPORT (see doc/explore.md)' })
      .option('kind', { alias: 'workers-kind', type: 'string', describe: `where actors run: ${WORKER_KINDS.join(', ')} (default thread)` })
      .option('workers', { ...numberArg, describe: 'actors (default 2)' })
      .option('search', { type: 'string', describe: `${SEARCHES.join(', ')} (default dfs)` })
      .option('preemptions', { ...numberArg, describe: 'dfs: most preemptions per schedule (default 2)' })
      .option('reduce', { type: 'boolean', describe: 'dfs: skip reorderings of calls on unrelated paths (default; --no-reduce counts every interleaving)' })
      .option('depth', { ...numberArg, describe: 'pct: the bug depth d (default 2)' })
      .option('max-steps', { ...numberArg, describe: 'cut a schedule after this many steps (default 1000)' })
      .option('budget', { ...numberArg, describe: 'most schedules (default: dfs 100000, pct and random 1000)' })
      .option('time', { ...numberArg, describe: 'most seconds (counts then depend on the machine)' })
      .option('seed', { type: 'string', describe: 'pct, random: seed of the choices (default contend)' })
      .option('dir', { type: 'string', describe: 'directory for the actors\' files (default /dev/shm where there is one)' })
      .option('stop-at-failure', { type: 'boolean', describe: 'stop at the first forbidden outcome' })
      .option('step-timeout-ms', { ...numberArg, describe: 'how long an actor may run from one point to its next before it is reported hung (default 10000)' })
      .option('replay', { type: 'string', describe: 'rerun the schedule a failure printed' })
      .option('timeline', { type: 'string', describe: "write the failing schedule's timeline to FILE (.svg, or .html with the text too)" })
      // The literal says what to rerun, and how many times: every option of a search would be dropped.
      .conflicts('replay', ['lock', 'lock-options', 'strategy', 'ops', 'kind', 'workers', 'search', 'preemptions', 'reduce', 'depth', 'max-steps', 'budget', 'time', 'seed', 'stop-at-failure'])
      .example('$0 explore --lock-module ./my-lock.ts#MyLock --kind process', 'every interleaving of 2 processes taking your lock')
      .example('$0 explore --strategy truncate --kind thread', 'what readers can see of a truncating save')
      .example('$0 explore --ops ./counter.ts#increment --search pct --budget 500', 'your own operations, sampled by PCT'),
  handler: async (argv) => {
    const timelineFile = typeof argv.timeline === 'string' ? argv.timeline : undefined;
    if (timelineFile !== undefined) {
      if (!/\.(svg|html)$/.test(timelineFile)) throw new InvalidOptionError('timeline', 'a file ending in .svg or .html', timelineFile);
      checkOutputFile('timeline', timelineFile);
    }
    const options = await optionsOf(argv);
    // Said in the command's words; the library's names its options (lock, strategy, ops).
    if (options.lock === undefined && options.strategy === undefined && options.ops === undefined) {
      throw new ContendError('E_USAGE', 'name what to explore: --lock NAME (see contend locks; yours: --lock-module), --strategy NAME (yours: --write-module with --strategy), or --ops MODULE#EXPORT (see contend explore --help)');
    }
    const progress = process.stderr.isTTY && !argv.json;
    const result = await explore({
      ...options,
      ...(progress ? { onProgress: ({ schedules, failures }) => void (schedules % 100 === 0 && process.stderr.write(`\r${schedules} schedules, ${failures} forbidden`)) } : {}),
    });
    if (progress) process.stderr.write('\r\x1b[K');
    await emit(argv.json, result, report(result));
    if (timelineFile !== undefined) {
      // Beside a JSON report on stdout, what was written is said on stderr: stdout stays one document.
      const say = argv.json === true ? process.stderr : process.stdout;
      if (result.failure) {
        const title = `${result.subject}, ${counted(result.workers, `${result.kind} actor`)}: ${result.failure.outcome}`;
        const draw = timelineFile.endsWith('.svg') ? timelineSvg : timelineHtml;
        await writeOutput('timeline', timelineFile, draw(result.failure.steps, result.workers, title));
        say.write(`timeline: ${timelineFile}\n`);
      } else say.write(`timeline: none written, no schedule failed\n`);
    }
    if (result.verdict === 'fail') fail();
  },
});
export default exploreCommand;
