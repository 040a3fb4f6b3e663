import { runPowerloss, type PowerlossReport } from '../../powerloss/run.js';
import { DEFAULT_BAD } from '../../powerloss/judge.js';
import { powerlossOpsRegistry, type CrashCheck } from '../../powerloss/ops.js';
import { AdapterLoadError } from '../../errors.js';
import { importExport, moduleReference } from '../../modules/registry.js';
import { writeStrategyNames } from '../../writes/index.js';
import type { CommandFactory } from '../command.js';
import { emit, list, numberArg } from '../io.js';
import { formatColumns } from '../../case/report.js';
import { WORKER_KINDS, type WorkerKind } from '../../locks/types.js';

function report(r: PowerlossReport): string {
  // The default check's kinds always, then whatever else a check of the user's named.
  const kinds = [...new Set([...DEFAULT_BAD, ...r.rows.flatMap((row) => Object.keys(row.bad))])];
  const table = formatColumns([
    ['writer', 'claims durable', 'operations', 'states', ...kinds],
    ...r.rows.map((row) => [row.writer, row.durable ? 'yes' : 'no', String(row.operations), String(row.states), ...kinds.map((k) => (row.unaccounted.length ? '-' : String(row.bad[k] ?? 0)))]),
  ]);
  const roads = r.rows.flatMap((row) => Object.entries(row.shortest).map(([kind, road]) => `${row.writer} · ${kind}: ${road}`));
  const unseen = r.rows.flatMap((row) => (row.unseen.length ? [`${row.writer}: not recorded: ${row.unseen.join(', ')}`] : []));
  const unaccounted = r.rows.flatMap((row) =>
    row.unaccounted.length ? [`${row.writer}: cannot be judged: the recorded operations do not give ${row.unaccounted.join(', ')} as the save left it (calls the fs hooks do not see)`] : [],
  );
  const verdict = r.failed ? 'FAIL: a writer that claims durability loses or tears a save, or cannot be judged' : 'PASS: no writer that claims durability loses or tears a save';
  return [table, '', ...(roads.length ? ['shortest road to each bad state:', ...roads.map((l) => `  ${l}`), ''] : []), ...unseen, ...unaccounted, verdict].join('\n');
}

/** `--check FILE#EXPORT`: a function of the user's that judges each state. */
async function loadCheck(spec: string): Promise<CrashCheck> {
  const check = await importExport('check', await moduleReference('check', spec), spec);
  if (typeof check !== 'function') throw new AdapterLoadError(`not a check: ${spec}: no function exported under that name`);
  return check as CrashCheck;
}

const powerloss: CommandFactory = ({ fail }) => ({
  builder: (y) =>
    y
      .option('strategies', { type: 'string', describe: `comma list of ${writeStrategyNames().join(', ')} (default: every one installed, unless --ops is given)` })
      .option('ops', { type: 'string', array: true, describe: 'a save of your own (PowerlossOps): MODULE#EXPORT (see doc/powerloss.md)' })
      .option('check', { type: 'string', describe: 'judge each state with a function of your own: MODULE#EXPORT' })
      .option('kind', { alias: 'workers-kind', type: 'string', describe: `where each save runs while recorded: ${WORKER_KINDS.join(', ')} (default async)` })
      .option('dir', { type: 'string', describe: "directory for the save's files and the states checked (default /dev/shm where there is one)" })
      .option('save-timeout-ms', { ...numberArg, describe: "how long recording one save may take (the recorder's start, the module's load, setup, the save) before the run ends with an error (default 30000)" })
      .example('$0 powerloss', "every crash state a power cut can leave of each strategy's save")
      .example('$0 powerloss --strategies atomic,atomic-dirsync --json', 'two of them, as JSON')
      .example('$0 powerloss --ops ./save-settings.ts#saveSettings', 'a save of your own, with its own target or check'),
  handler: async (argv) => {
    // Every module is loaded, and every name checked, before the first save is recorded.
    // Registered here, so that messages name each module as the user typed it.
    const ops: string[] = [];
    for (const spec of (argv.ops as string[] | undefined) ?? []) ops.push((await powerlossOpsRegistry.register(await moduleReference('ops', spec), spec)).name);
    const check = typeof argv.check === 'string' ? await loadCheck(argv.check) : undefined;
    const result = await runPowerloss({
      ...(argv.strategies === undefined ? {} : { strategies: list(argv.strategies) ?? [] }),
      ...(ops.length ? { ops } : {}),
      ...(check ? { check } : {}),
      ...(argv.kind === undefined ? {} : { kind: argv.kind as WorkerKind }),
      ...(argv.dir === undefined ? {} : { dir: argv.dir as string }),
      ...(argv['save-timeout-ms'] === undefined ? {} : { saveTimeoutMs: argv['save-timeout-ms'] as number }),
    });
    await emit(argv.json, result, report(result));
    if (result.failed) fail();
  },
});
export default powerloss;
