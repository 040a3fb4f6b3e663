import { readdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkerKind } from '../locks/types.js';
import type { Actors } from './actors.js';
import { takeStrays, watchForStrays } from './gate.js';
import { describePoint, START, type Point } from './point.js';
import type { ActorEnd, Announcement } from './protocol.js';
import type { Grade } from './subjects.js';
import { describeThrown } from '../case/protocol.js';
import { ContendError } from '../errors.js';

/** One step of a schedule: the actor that moved, and the point it went on from. */
export interface Step {
  worker: number;
  point: Point;
  /** The switch to this actor left one that could have gone on. */
  preempted?: true;
}

/** What a chooser is shown at each step. */
export interface ChoiceView {
  /** The step's index, from 0. */
  step: number;
  /** The actors that can move, ascending. */
  enabled: number[];
  /** The actor that moved last, if any. */
  current: number | undefined;
  /** Where each actor still running is stopped. */
  points: ReadonlyMap<number, Point>;
  /**
   * Why each actor that cannot move cannot: it waits for a release, or it has ended (and how).
   * Worked out when asked (a new choice, a replay that went otherwise), not at every step.
   */
  stuck(): ReadonlyMap<number, string>;
}

/** Picks who moves next; undefined ends the run there, as adding nothing to the search. */
export interface Chooser {
  choose(view: ChoiceView): number | undefined;
}

/** How a run ended: every actor done, nobody able to move, the depth bound, or the chooser's word. */
export type RunEnd = 'complete' | 'deadlock' | 'depth' | 'redundant';

export interface Execution {
  steps: Step[];
  end: RunEnd;
  outcome: string;
  grade: Grade;
  /** Switches away from an actor that could have gone on. */
  preemptions: number;
}

/** An actor made a second fs call before its first had finished: one call at a time is all the explorer can order. */
export class ConcurrentCallsError extends ContendError {
  constructor(worker: number, point: Point) {
    super('E_CONCURRENT_CALLS', `actor ${worker} reached ${point.op} while an earlier fs call of its own was still running; the explorer orders one call at a time per actor, so await each call`);
  }
}

/**
 * fs calls into the exploration's directory that no actor made at a point (gate.ts): the explorer
 * could not order them, so runs of one schedule may differ for no reason the search can see.
 */
export class StrayCallError extends ContendError {
  constructor(
    readonly calls: string[],
    where: string,
  ) {
    super(
      'E_EXPLORE_STRAY',
      `fs calls in the exploration's directory that no actor made at a point, seen in ${where}: ${calls.join('; ')}. A call still running after its actor's run (not awaited, or a library's timer) or one that lost its actor's async context (a callback an event emitter runs) cannot be ordered, so the search cannot be trusted`,
    );
  }
}

/** Throws what the explorer's own thread, or the announcement of actor `worker`, says of strays. */
function checkStrays(ctx: RunContext, worker: number, a: Announcement): void {
  const own = takeStrays(ctx.dir);
  if (own.length) throw new StrayCallError(own, "the explorer's thread");
  if (a.strays?.length) throw new StrayCallError(a.strays, ctx.kind === 'async' ? "the explorer's thread" : `actor ${worker}'s ${ctx.kind}`);
}

export interface RunContext {
  actors: Actors;
  kind: WorkerKind;
  workers: number;
  dir: string;
  depth: number;
}

let runs = 0;

// Synchronous: between schedules every actor is idle, and a thread-pool round trip per file would
// cost more than the work.
function emptyDir(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) rmSync(path, { recursive: true, force: true });
    else unlinkSync(path);
  }
}

async function resetState(ctx: RunContext): Promise<void> {
  emptyDir(ctx.dir);
  ctx.actors.reset();
  await ctx.actors.subject.setup({ workers: ctx.workers, kind: ctx.kind, dir: ctx.dir, file: join(ctx.dir, 'state.json') });
}

/**
 * The uncounted first run: each actor in turn, start to end, with no stops. What the subject loads
 * on first use (a dynamic import reads its files through fs, several at once) and what libraries
 * cache (proper-lockfile's mtime precision) is then in place before the search compares runs.
 */
export async function warmUp(ctx: RunContext): Promise<void> {
  const run = ++runs;
  await resetState(ctx);
  const unwatch = watchForStrays(ctx.dir);
  try {
    for (const link of ctx.actors.links) {
      link.begin(run, true);
      const a = await link.next();
      checkStrays(ctx, link.worker, a);
      if (a.type !== 'end') throw new ContendError('E_EXPLORE_PROTOCOL', `actor ${link.worker} stopped at ${a.point.op} in a run without stops`);
      if (a.end.error) {
        // Operations that take a lock, explored without one, are bad input: it shows here first.
        if (a.end.error.code === 'E_NO_LOCK') throw new ContendError('E_NO_LOCK', a.end.error.message);
        throw new ContendError('E_EXPLORE_FIRST_RUN', `actor ${link.worker} failed on its own, with no other actor running: ${describeThrown(a.end.error)}`);
      }
    }
  } finally {
    unwatch();
  }
}

/** Runs one schedule: the state reset, every actor begun, each step the chooser's, the outcome checked. */
export async function runSchedule(ctx: RunContext, chooser: Chooser): Promise<Execution> {
  const run = ++runs;
  await resetState(ctx);
  // From here until every actor has ended, the explorer's own thread makes no call into the
  // directory: any there is a stray. The outcome's check reads it after.
  const unwatch = watchForStrays(ctx.dir);
  let ran: Steps;
  try {
    ran = await runSteps(ctx, chooser, run);
  } finally {
    unwatch();
  }
  const { steps, end, preemptions } = ran;
  if (end === 'redundant') return { steps, end, outcome: '', grade: 'acceptable', preemptions };
  const outcome = await outcomeOf(ctx, end, ran.ends, ran.overlap);
  return { steps, end, outcome, grade: gradeOf(ctx, end, outcome), preemptions };
}

/** The steps of one schedule, from every actor's start to every actor's end. */
type Steps = Omit<Execution, 'outcome' | 'grade'> & { ends: Map<number, ActorEnd>; overlap: number };

async function runSteps(ctx: RunContext, chooser: Chooser, run: number): Promise<Steps> {
  const { actors, workers } = ctx;
  const points = new Map<number, Point>();
  const ends = new Map<number, ActorEnd>();
  const releases = new Map<number, number>();
  /** For a waiting actor: how many releases had happened when it began to wait. */
  const waitingSince = new Map<number, number>();
  let released = 0;
  let overlap = 0;
  const steps: Step[] = [];
  let preemptions = 0;
  let current: number | undefined;

  /** Points each actor was let go from (or abandoned at) in this schedule. */
  const granted = new Map<number, number>();
  const letGo = (worker: number, go: boolean): void => {
    granted.set(worker, (granted.get(worker) ?? 0) + 1);
    link(worker).grant(go);
  };
  const take = (worker: number, a: Announcement): void => {
    checkStrays(ctx, worker, a);
    if (a.run !== run) throw new ContendError('E_EXPLORE_PROTOCOL', `actor ${worker} announced for schedule ${a.run} during ${run}`);
    // An actor that went on from a point nobody let it go from has left the schedule unseen.
    const given = granted.get(worker) ?? 0;
    if (a.went !== given) {
      const at = a.type === 'point' ? `stopped at ${describePoint(a.point)}` : 'ended';
      throw new ContendError('E_EXPLORE_PROTOCOL', `actor ${worker} ${at} having gone on from ${a.went} points of schedule ${run}, where it was let go from ${given}`);
    }
    const before = releases.get(worker) ?? 0;
    if (a.releases > before) released += a.releases - before;
    releases.set(worker, a.releases);
    if (a.type === 'end') {
      points.delete(worker);
      ends.set(worker, a.end);
      return;
    }
    if (a.inflight > 0) throw new ConcurrentCallsError(worker, a.point);
    points.set(worker, a.point);
    if (a.point.waits) waitingSince.set(worker, released);
    else waitingSince.delete(worker);
    let holding = 0;
    for (const p of points.values()) if (p.holds) holding++;
    overlap = Math.max(overlap, holding);
  };
  const link = (worker: number) => actors.links[worker - 1]!;
  const advance = async (worker: number): Promise<void> => take(worker, await link(worker).next());

  // Every actor is told at once, and stops before its first line (START); then they go one at a
  // time up to their first point, so what they do before it is theirs alone.
  for (let worker = 1; worker <= workers; worker++) link(worker).begin(run);
  for (let worker = 1; worker <= workers; worker++) {
    const first = await link(worker).next();
    if (first.type !== 'point' || first.point.op !== START.op) throw new ContendError('E_EXPLORE_PROTOCOL', `actor ${worker} did not stop at its start`);
    letGo(worker, true);
    await advance(worker);
  }

  let end: RunEnd = 'complete';
  for (;;) {
    const enabled = [...points.keys()].filter((w) => !waitingSince.has(w) || released > waitingSince.get(w)!).sort((a, b) => a - b);
    if (!enabled.length) {
      if (points.size) end = 'deadlock';
      break;
    }
    if (steps.length >= ctx.depth) {
      end = 'depth';
      break;
    }
    const chosen = chooser.choose({ step: steps.length, enabled, current, points, stuck: () => stuckActors(points, enabled, ends, released) });
    if (chosen === undefined) {
      end = 'redundant';
      break;
    }
    if (!enabled.includes(chosen)) throw new ContendError('E_EXPLORE_SCHEDULE', `step ${steps.length + 1}: actor ${chosen} cannot move (actors that can: ${enabled.join(', ')})`);
    const preempted = current !== undefined && chosen !== current && enabled.includes(current);
    if (preempted) preemptions++;
    current = chosen;
    steps.push({ worker: chosen, point: points.get(chosen)!, ...(preempted ? { preempted: true as const } : {}) });
    letGo(chosen, true);
    await advance(chosen);
  }

  // Whoever is still stopped is let go with the schedule abandoned, and its end awaited.
  const stopped = [...points.keys()];
  for (const worker of stopped) {
    letGo(worker, false);
    let a = await link(worker).next();
    while (a.type !== 'end') {
      letGo(worker, false);
      a = await link(worker).next();
    }
    take(worker, a);
  }
  return { steps, end, preemptions, ends, overlap };
}

function stuckActors(points: ReadonlyMap<number, Point>, enabled: number[], ends: ReadonlyMap<number, ActorEnd>, released: number): Map<number, string> {
  const stuck = new Map<number, string>();
  for (const [worker, point] of points) if (!enabled.includes(worker)) stuck.set(worker, `waits at ${describePoint(point)}, ${released} releases so far`);
  for (const [worker, end] of ends) stuck.set(worker, end.error ? `ended: threw ${end.error.code ?? end.error.name}: ${end.error.message.split('\n')[0]}` : 'ended');
  return stuck;
}

async function outcomeOf(ctx: RunContext, end: RunEnd, ends: Map<number, ActorEnd>, overlap: number): Promise<string> {
  if (end === 'deadlock') return 'deadlock';
  if (end === 'depth') return `cut at depth ${ctx.depth}`;
  for (const [, e] of [...ends].sort(([a], [b]) => a - b)) {
    if (e.error) return `threw ${e.error.code ?? `${e.error.name}: ${e.error.message.split('\n')[0]}`}`;
  }
  const results = Array.from({ length: ctx.workers }, (_, i) => ends.get(i + 1)?.value);
  return ctx.actors.subject.check({ workers: ctx.workers, kind: ctx.kind, dir: ctx.dir, file: join(ctx.dir, 'state.json'), results, overlap });
}

function gradeOf(ctx: RunContext, end: RunEnd, outcome: string): Grade {
  if (end === 'deadlock') return 'forbidden';
  if (end === 'depth') return 'interesting';
  if (outcome.startsWith('threw ')) return 'forbidden';
  return ctx.actors.subject.grade(outcome);
}
