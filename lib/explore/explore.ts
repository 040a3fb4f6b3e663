import { WORKER_KINDS, type WorkerKind } from '../locks/types.js';
import { lockOptionsOf, lockRegistry } from '../locks/registry.js';
import { withServerUrl } from '../locks/server-lock.js';
import { writeRegistry } from '../writes/index.js';
import type { ModuleRef } from '../modules/registry.js';
import { InvalidOptionError } from '../errors.js';
import { integerIn, MAX_TIMER_MS, numberIn, oneOf, onlyKnown, optionNames } from '../support/check.js';
import { asTyped, shellQuote } from '../support/literal.js';
import { withWorkspace } from '../support/workspace.js';
import { scratchBase } from '../support/scratch.js';
import { startActors } from './actors.js';
import type { SubjectSpec } from './protocol.js';
import { runSchedule, warmUp, type Execution, type RunContext, type Step } from './run.js';
import { DepthFirst, Pct, RandomWalk, Replay, type Search } from './search.js';
import { withStretchedClock } from './clock.js';
import { opsRegistry, type Grade } from './subjects.js';
import { timeline } from './timeline.js';

export const SEARCHES = ['dfs', 'pct', 'random'] as const;
export type SearchName = (typeof SEARCHES)[number];

/** A subject of the user's, or a built-in, by name; a module of the user's by `{ module, export }`. */
export type Named = string | ModuleRef;

export interface ExploreOptions {
  /** A lock adapter under the standard actor (acquire, save, read back, release). */
  lock?: Named | undefined;
  lockOptions?: Record<string, unknown> | undefined;
  /**
   * Explore the lock with its stale time, lease and renewal (`staleMs`, `ttlMs`, `updateMs`)
   * scaled together until it expires after an hour (default false). A schedule run call by call
   * takes far longer than its calls, and a lock that expires by the clock would expire in some
   * runs of a schedule and not others; the search then stops as nondeterministic. The result's
   * `stretched` says what was scaled; the replay literal carries the options explored.
   */
  stretchClock?: boolean | undefined;
  /** A write strategy: the subject itself, or with `lock` the lock subject's way of saving (default truncate). */
  strategy?: Named | undefined;
  /** Operations of your own (ExploreOps), by module and export. */
  ops?: Named | undefined;
  /** Where the actors run: async (one thread), thread (worker_threads), process (default thread). */
  kind?: WorkerKind | undefined;
  /** Actors, 2 by default. */
  workers?: number | undefined;
  search?: SearchName | undefined;
  /** dfs: the most preemptions a schedule may have (default 2). */
  preemptions?: number | undefined;
  /** dfs: skip schedules that only reorder calls on unrelated paths (default true). */
  reduce?: boolean | undefined;
  /** pct: the bug depth d it aims at (default 2). */
  depth?: number | undefined;
  /** The most steps of one schedule, beyond which it is cut (default 1000). */
  maxSteps?: number | undefined;
  /** The most schedules to run (default: dfs until done, up to 100,000; pct and random 1,000). */
  budget?: number | undefined;
  /** The most seconds to run; counts then depend on the machine's speed. */
  time?: number | undefined;
  /** pct and random: what seeds their random choices (default "contend"). */
  seed?: string | undefined;
  /** Stop at the first forbidden outcome instead of counting to the end of the budget. */
  stopAtFailure?: boolean | undefined;
  /** Rerun exactly one schedule, as a failure's replay literal gives it; `budget` times (default once), search aside. */
  replay?: number[] | undefined;
  /**
   * Where the actors' files live. By default a directory in /dev/shm (a tmpfs) where there is one:
   * every schedule rewrites the files, and on a disk that costs several times more; what the
   * calls do to each other is the same on any local file system.
   */
  dir?: string | undefined;
  /** Called after each schedule, for progress. */
  onProgress?: ((progress: { schedules: number; failures: number }) => void) | undefined;
  /**
   * How long an actor may run from one point to its next, ms (default 10,000): past it, the actor
   * is reported hung and the exploration ends with that fault. An async actor whose code holds the
   * explorer's thread that long cannot be stopped safely: the process exits with status 1, saying so
   * on stderr.
   * Points are fs calls and lock entries, so an actor's move between two is short.
   */
  stepTimeoutMs?: number | undefined;
}

export interface OutcomeCount {
  outcome: string;
  grade: Grade;
  count: number;
}

export interface ExploreFailure {
  outcome: string;
  preemptions: number;
  steps: Step[];
  /** The `explore({...})` literal and the `contend explore --replay` line that rerun it. */
  replay: string;
  /** The schedule as a per-actor timeline of the calls. */
  timeline: string;
}

export interface ExploreResult {
  subject: string;
  kind: WorkerKind;
  workers: number;
  search: SearchName | 'replay';
  /** Schedules run to the end (runs a sleep set cut short are not counted). */
  schedules: number;
  /** dfs: every schedule within the bound was explored (a proof for that bound, these actors, this subject); a replay: every repeat ran. */
  exhaustive: boolean;
  /** dfs with reduction: choices skipped as reorderings of independent calls. */
  pruned: number;
  /** Runs cut short because every choice left was such a reordering. */
  redundant: number;
  outcomes: OutcomeCount[];
  /** The first forbidden schedule, shrunk: fewest preemptions, then fewest steps. */
  failure?: ExploreFailure;
  verdict: 'pass' | 'fail';
  /** pct: the chance one run finds a bug of the depth searched, as PCT bounds it. */
  guarantee?: string;
  /** What the explorer cannot see of this subject. */
  unseen: string;
  /** With `stretchClock`: the lock's times as explored (`staleMs 3600000: ×1800`), if it has any. */
  stretched?: string;
  ms: number;
}

const DEFAULT_BUDGET: Record<SearchName, number> = { dfs: 100_000, pct: 1_000, random: 1_000 };
const SEEN = 'calls that bypass fs (native addons, shared memory) run between points, unseen';

interface Resolved {
  subject: SubjectSpec;
  /** The subject as a replay literal names it. */
  literal: Record<string, unknown>;
  kind: WorkerKind;
  workers: number;
  search: SearchName;
  preemptions: number;
  reduce: boolean;
  depth: number;
  maxSteps: number;
  budget: number;
  time: number | undefined;
  seed: string;
  dir: string;
  /** The lock's times as stretched, or empty. */
  stretched: string;
  stepTimeoutMs: number;
}


const KNOWN_OPTIONS = optionNames<ExploreOptions>({
  lock: true, lockOptions: true, strategy: true, ops: true, kind: true, workers: true, search: true, preemptions: true, reduce: true, depth: true,
  maxSteps: true, budget: true, time: true, seed: true, stopAtFailure: true, replay: true, dir: true, onProgress: true, stretchClock: true,
  stepTimeoutMs: true,
});

/** The options only some searches take (`reduce` is every search's: shrinking a failure is a dfs). */
const SEARCH_OPTIONS: ReadonlyArray<readonly ['preemptions' | 'depth' | 'seed', readonly SearchName[]]> = [
  ['preemptions', ['dfs']],
  ['depth', ['pct']],
  ['seed', ['pct', 'random']],
];

/** Every option checked, and the user's modules registered, before any actor starts. */
async function resolveOptions(options: ExploreOptions): Promise<Resolved> {
  onlyKnown('explore option', options, KNOWN_OPTIONS);
  if (options.lock === undefined && options.ops === undefined && options.strategy === undefined) throw new InvalidOptionError('subject', 'lock, strategy or ops (ops may take a lock)', 'none');
  if (options.ops !== undefined && options.strategy !== undefined) throw new InvalidOptionError('subject', 'lock, strategy or ops (ops may take a lock)', 'ops and strategy');
  const kind = oneOf('kind', WORKER_KINDS, options.kind ?? 'thread');
  const workers = integerIn('workers', options.workers ?? 2, 2, 16);
  const search = oneOf('search', SEARCHES, options.search ?? 'dfs');
  // An option of another search would be dropped without a word, and the run would not be the one
  // asked for (a seed given to dfs, which is exhaustive; a bound given to pct). A replay runs no search.
  for (const [key, takers] of SEARCH_OPTIONS) {
    const value = options[key];
    if (value === undefined) continue;
    if (options.replay !== undefined) throw new InvalidOptionError(key, `none with replay, which reruns one schedule; ${key} is for search ${takers.join(' or ')}`, value);
    if (!takers.includes(search)) throw new InvalidOptionError(key, `${key} with search ${takers.join(' or ')}`, value, `search ${search} takes no ${key}`);
  }
  const preemptions = integerIn('preemptions', options.preemptions ?? 2, 0, 1000);
  const reduce = options.reduce ?? true;
  if (typeof reduce !== 'boolean') throw new InvalidOptionError('reduce', 'true or false', reduce);
  const stretchClock = options.stretchClock ?? false;
  if (typeof stretchClock !== 'boolean') throw new InvalidOptionError('stretchClock', 'true or false', stretchClock);
  const depth = integerIn('depth', options.depth ?? 2, 1, 100);
  const maxSteps = integerIn('maxSteps', options.maxSteps ?? 1000, 1, 1_000_000);
  const budget = integerIn('budget', options.budget ?? DEFAULT_BUDGET[search], 1, 100_000_000);
  const time = options.time === undefined ? undefined : numberIn('time', options.time, 0, 86_400, { open: true, unit: 'seconds' });
  const stepTimeoutMs = integerIn('stepTimeoutMs', options.stepTimeoutMs ?? 10_000, 1, MAX_TIMER_MS);
  const seed = options.seed ?? 'contend';
  if (typeof seed !== 'string') throw new InvalidOptionError('seed', 'a string', seed);
  const dir = scratchBase('dir', options.dir);
  if (options.replay !== undefined) {
    if (!Array.isArray(options.replay) || !options.replay.every((w) => Number.isInteger(w) && w >= 1 && w <= workers)) {
      throw new InvalidOptionError('replay', `the schedule of a replay literal: actor numbers from 1 to ${workers}`, options.replay);
    }
  }
  const write = options.strategy === undefined ? undefined : await writeRegistry.named(options.strategy);
  const writeRef = write === undefined ? undefined : writeRegistry.resolve(write);
  const strategyLiteral = writeRef === undefined ? undefined : writeRef.source ? asTyped(writeRef.source) : writeRef.adapter.name;
  const lock = options.lock === undefined ? undefined : lockRegistry.resolve(await lockRegistry.named(options.lock));
  if (lock === undefined && options.lockOptions !== undefined) throw new InvalidOptionError('lockOptions', 'options of a lock, given with lock', options.lockOptions);
  const given = lock ? lockOptionsOf(lock.adapter, options.lockOptions ?? {}) : {};
  const { lockOptions, stretched } = stretchClock ? withStretchedClock(given) : { lockOptions: given, stretched: '' };
  const base = { kind, workers, search, preemptions, reduce, depth, maxSteps, budget, time, seed, dir, stretched, stepTimeoutMs };
  // Stretched, the literal names the options explored: its replay needs no stretching of its own.
  const lockLiteral = lock
    ? { lock: lock.source ? asTyped(lock.source) : lock.adapter.name, ...(Object.keys(options.lockOptions ?? {}).length || stretched ? { lockOptions } : {}) }
    : {};
  // A lock on a server gets the run's server last, once everything else was found sound.
  const workerLockOptions = lock ? await withServerUrl(lock.adapter, stretched ? lockOptions : (options.lockOptions ?? {})) : {};
  if (options.ops !== undefined) {
    const ops = opsRegistry.resolve(await opsRegistry.named(options.ops));
    return {
      ...base,
      subject: { type: 'ops', ops: ops.ref, ...(lock ? { lock: lock.ref, lockOptions: workerLockOptions } : {}) },
      literal: { ops: ops.source ? asTyped(ops.source) : ops.adapter.name, ...lockLiteral },
    };
  }
  if (lock) {
    const writeOf = writeRef ?? writeRegistry.resolve('truncate');
    return {
      ...base,
      subject: { type: 'lock', lock: lock.ref, lockOptions: workerLockOptions, write: writeOf.ref },
      literal: { ...lockLiteral, ...(strategyLiteral !== undefined && strategyLiteral !== 'truncate' ? { strategy: strategyLiteral } : {}) },
    };
  }
  return { ...base, subject: { type: 'strategy', write: writeRef!.ref }, literal: { strategy: strategyLiteral } };
}

function searchOf(r: Resolved): Search {
  if (r.search === 'pct') return new Pct(r.seed, r.workers, r.depth);
  if (r.search === 'random') return new RandomWalk(r.seed);
  return new DepthFirst(r.preemptions, r.reduce);
}

/**
 * Explores the interleavings of `workers` actors at every fs call (and lock entry and exit, and
 * every `point()`), counts the outcome of each schedule, and shrinks the first forbidden one to
 * fewest preemptions, then fewest steps. The same options explore the same schedules in the same
 * order, on any machine, idle or loaded (a `time` limit aside).
 */
export async function explore(options: ExploreOptions): Promise<ExploreResult> {
  const r = await resolveOptions(options);
  const started = performance.now();
  return withWorkspace('contend-explore-', async (ws) => {
    const actors = await startActors(r.kind, r.workers, r.subject, ws.dir, r.stepTimeoutMs);
    ws.hold([{ kill: () => actors.close() }]);
    try {
      const ctx: RunContext = { actors, kind: r.kind, workers: r.workers, dir: ws.dir, depth: r.maxSteps };
      return await exploreWith(r, ctx, options, started);
    } finally {
      await actors.close();
      ws.letGo();
    }
  }, r.dir);
}

async function exploreWith(r: Resolved, ctx: RunContext, options: ExploreOptions, started: number): Promise<ExploreResult> {
  const counts = new Map<string, OutcomeCount>();
  const search: Search = options.replay ? new Replay(options.replay, options.budget ?? 1) : searchOf(r);
  const deadline = r.time === undefined ? Infinity : started + r.time * 1000;
  let schedules = 0;
  let redundant = 0;
  let failures = 0;
  let firstFailure: Execution | undefined;
  let exhaustive = false;
  await warmUp(ctx);
  for (;;) {
    if (schedules >= r.budget || performance.now() >= deadline) break;
    search.begin();
    const execution = await runSchedule(ctx, search);
    if (execution.end === 'redundant') redundant++;
    else {
      schedules++;
      const count = counts.get(execution.outcome) ?? { outcome: execution.outcome, grade: execution.grade, count: 0 };
      count.count++;
      counts.set(execution.outcome, count);
      if (execution.grade === 'forbidden') {
        failures++;
        firstFailure ??= execution;
      }
      options.onProgress?.({ schedules, failures });
    }
    if (search.finished(execution)) {
      exhaustive = search instanceof DepthFirst || search instanceof Replay;
      break;
    }
    if (firstFailure && options.stopAtFailure) break;
  }
  const shrunk = firstFailure && !options.replay ? await shrink(r, ctx, firstFailure) : firstFailure;
  const grades: Grade[] = ['forbidden', 'interesting', 'acceptable'];
  return {
    subject: ctx.actors.subject.name,
    kind: r.kind,
    workers: r.workers,
    search: options.replay ? 'replay' : r.search,
    schedules,
    exhaustive,
    pruned: search.pruned,
    redundant,
    outcomes: [...counts.values()].sort((a, b) => grades.indexOf(a.grade) - grades.indexOf(b.grade) || b.count - a.count),
    ...(shrunk ? { failure: failureOf(r, shrunk) } : {}),
    verdict: failures ? 'fail' : 'pass',
    ...(search instanceof Pct ? { guarantee: search.guarantee() } : {}),
    unseen: ctx.actors.subject.unseen ? `${ctx.actors.subject.unseen}; ${SEEN}` : SEEN,
    ...(r.stretched ? { stretched: r.stretched } : {}),
    ms: performance.now() - started,
  };
}

/** Schedules a shrink may run at each bound: enough to find again what a search found, bounded. */
const SHRINK_BUDGET = 5_000;

/**
 * The failing schedule with fewest preemptions (a depth-first search at each bound below the one
 * found, as iterative context bounding does), then the shortest failing one at that bound among
 * those the search meets first. Deterministic: the same failure shrinks to the same schedule.
 */
async function shrink(r: Resolved, ctx: RunContext, found: Execution): Promise<Execution> {
  for (let bound = 0; bound <= found.preemptions; bound++) {
    const search = new DepthFirst(bound, r.reduce);
    let best: Execution | undefined;
    let seen = 0;
    for (let runs = 0; runs < SHRINK_BUDGET; runs++) {
      search.begin();
      const execution = await runSchedule(ctx, search);
      if (execution.end !== 'redundant' && execution.grade === 'forbidden') {
        if (!best || execution.steps.length < best.steps.length) best = execution;
        if (++seen >= 20) break;
      }
      if (search.finished(execution)) break;
    }
    if (best) return best;
  }
  return found;
}

function failureOf(r: Resolved, execution: Execution): ExploreFailure {
  const literal = {
    ...r.literal,
    kind: r.kind,
    workers: r.workers,
    ...(r.maxSteps !== 1000 ? { maxSteps: r.maxSteps } : {}),
    replay: execution.steps.map((s) => s.worker),
  };
  const json = JSON.stringify(literal);
  return {
    outcome: execution.outcome,
    preemptions: execution.preemptions,
    steps: execution.steps,
    replay: `explore(${json})\ncontend explore --replay ${shellQuote(json)}`,
    timeline: timeline(execution.steps, r.workers),
  };
}

