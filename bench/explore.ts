import { explore, type ExploreOptions } from '../lib/explore/index.js';
import { formatColumns } from '../lib/case/report.js';

const CHECK_THEN_ACT = { module: './cases/fixtures/check-then-act-lock.ts', export: 'CheckThenActLockAdapter' };

/** Schedules a second between the first schedule's end and the last's: the actors' start left out. */
async function rate(options: ExploreOptions): Promise<{ rate: number; schedules: number }> {
  let first = 0;
  let last = 0;
  const r = await explore({
    ...options,
    onProgress: ({ schedules }) => {
      if (schedules === 1) first = performance.now();
      last = performance.now();
    },
  });
  return { rate: (r.schedules - 1) / ((last - first) / 1000), schedules: r.schedules };
}

/** `npm run bench -- explore`: what an exploration costs, and how fast PCT finds a shallow bug. */
export async function exploreCosts(section: (title: string) => void): Promise<void> {
  section('explore: schedules per second, the check-then-act lock, 2 actors (random walk, 1000 schedules)');
  const rows = [['kind', 'schedules/s']];
  for (const kind of ['async', 'thread', 'process'] as const) {
    const r = await rate({ lock: CHECK_THEN_ACT, kind, workers: 2, search: 'random', budget: 1000 });
    rows.push([kind, r.rate.toFixed(0)]);
  }
  process.stdout.write(formatColumns(rows) + '\n');

  section('explore: exhaustive search, 2 process actors × (acquire, write, read, release) under flock, preemption bound 2');
  const exhaustive = [['reduction', 'schedules', 'choices pruned', 'runs cut short', 'wall s (incl. start)']];
  for (const reduce of [true, false]) {
    const r = await explore({ lock: 'flock', kind: 'process', workers: 2, reduce });
    exhaustive.push([reduce ? 'on' : 'off', String(r.schedules), String(r.pruned), String(r.redundant), (r.ms / 1000).toFixed(2)]);
  }
  process.stdout.write(formatColumns(exhaustive) + '\n');

  section('explore: PCT, schedules until the first failure, 2 threads, 20 seeds (budget 1000 each)');
  const pct = [['bug', 'd', 'median', 'min', 'max', 'seeds that found it']];
  const bugs: [string, ExploreOptions, number][] = [
    ['increment without a lock (lost update)', { ops: { module: './cases/fixtures/explore-ops.ts', export: 'increment' } }, 2],
    ['check-then-act lock (needs 2 preemptions)', { lock: CHECK_THEN_ACT }, 3],
  ];
  for (const [bug, subject, depth] of bugs) {
    const found: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const r = await explore({ ...subject, kind: 'thread', workers: 2, search: 'pct', depth, seed: String(seed), budget: 1000, stopAtFailure: true });
      found.push(r.failure ? r.schedules : Infinity);
    }
    const sorted = [...found].sort((a, b) => a - b);
    pct.push([bug, String(depth), String(sorted[10]), String(sorted[0]), String(sorted.at(-1)), `${found.filter(Number.isFinite).length}/20`]);
  }
  process.stdout.write(formatColumns(pct) + '\n');
}

/** `npm run bench -- powerloss`: every installed writer's save, recorded, its crash states computed and each checked on disk. */
export async function powerlossCosts(section: (title: string) => void): Promise<void> {
  section('power loss: every crash state of one save of each installed write strategy, each written out and checked');
  const { runPowerloss } = await import('../lib/powerloss/run.js');
  const started = performance.now();
  const report = await runPowerloss();
  const ms = performance.now() - started;
  const perSecond = (n: number, at: number): string => (n / (at / 1000)).toFixed(0);
  const tried = report.rows.reduce((n, r) => n + r.tried, 0);
  const states = report.rows.reduce((n, r) => n + r.states, 0);
  const recordMs = report.rows.reduce((n, r) => n + r.recordMs, 0);
  process.stdout.write(
    formatColumns([
      ['writer', 'operations', 'combinations tried', 'distinct states', 'record ms', 'states ms', 'states/s', 'total ms'],
      ...report.rows.map((r) => [r.writer, String(r.operations), String(r.tried), String(r.states), r.recordMs.toFixed(0), (r.ms - r.recordMs).toFixed(0), perSecond(r.states, r.ms - r.recordMs), r.ms.toFixed(0)]),
      [`all ${report.rows.length}`, '', String(tried), String(states), recordMs.toFixed(0), (ms - recordMs).toFixed(0), perSecond(states, ms - recordMs), ms.toFixed(0)],
    ]) + '\n',
  );
}
