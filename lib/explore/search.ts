import seedrandom from 'seedrandom';
import { ContendError } from '../errors.js';
import { dependent, describePoint, type Point } from './point.js';
import type { ChoiceView, Chooser, Execution } from './run.js';

/** A search: a chooser for each run, told how each ended, until it has nothing left to try. */
export interface Search extends Chooser {
  /** Before each run. */
  begin(): void;
  /** After each run; false once the search is complete (exhaustive search only). */
  finished(execution: Execution): boolean;
  /** Choices its sleep sets cut (depth-first search with reduction). */
  readonly pruned: number;
}

/** The same choices did not lead to the same points: something other than the schedule decides what actors do. */
export class NondeterminismError extends ContendError {
  constructor(step: number, detail: string) {
    super('E_NONDETERMINISM', `step ${step + 1} went otherwise than on an earlier run (${detail}): the actors depend on something besides the schedule (time, randomness, state left from an earlier schedule), so the search cannot be trusted`);
  }
}

interface Node {
  enabled: number[];
  stuck: ReadonlyMap<number, string>;
  points: Map<number, Point>;
  current: number | undefined;
  /** Preemptions spent before this node's choice. */
  spent: number;
  chosen: number;
  tried: number[];
  /** Actors whose move here is known to lead where an explored sibling led. */
  sleep: Set<number>;
  /** Asleep choices already counted as pruned. */
  counted: Set<number>;
}

const cost = (node: Pick<Node, 'current' | 'enabled'>, worker: number): number => (node.current !== undefined && worker !== node.current && node.enabled.includes(node.current) ? 1 : 0);

/**
 * Exhaustive depth-first search of the schedules with at most `bound` preemptions (CHESS's
 * iterative context bounding, one bound), non-preemptive choices first. With `reduce`, sleep sets
 * (Godefroid) skip a choice whose point commutes with a sibling already explored from the same
 * state: the schedules it would lead to are reorderings of independent calls, already seen.
 */
export class DepthFirst implements Search {
  private readonly stack: Node[] = [];
  private at = 0;
  pruned = 0;

  constructor(
    private readonly bound: number,
    private readonly reduce: boolean,
  ) {}

  begin(): void {
    this.at = 0;
  }

  choose(view: ChoiceView): number | undefined {
    const i = this.at++;
    const known = this.stack[i];
    if (known) {
      checkSame(i, known, view);
      return known.chosen;
    }
    const parent = this.stack[i - 1];
    const node: Node = {
      enabled: view.enabled,
      stuck: view.stuck(),
      points: new Map(view.points),
      current: view.current,
      spent: parent ? parent.spent + cost(parent, parent.chosen) : 0,
      chosen: -1,
      tried: [],
      sleep: parent ? this.childSleep(parent) : new Set(),
      counted: new Set(),
    };
    const first = this.nextChoice(node);
    if (first === undefined) return undefined;
    node.chosen = first;
    node.tried.push(first);
    this.stack.push(node);
    return first;
  }

  finished(_execution?: Execution): boolean {
    // Deeper nodes than this run reached belong to no schedule any more.
    this.stack.length = Math.min(this.stack.length, this.at);
    while (this.stack.length) {
      const node = this.stack.at(-1)!;
      const next = this.nextChoice(node);
      if (next !== undefined) {
        node.chosen = next;
        node.tried.push(next);
        return false;
      }
      this.stack.pop();
    }
    return true;
  }

  private childSleep(parent: Node): Set<number> {
    if (!this.reduce) return new Set();
    const moved = parent.points.get(parent.chosen)!;
    const sleep = new Set<number>();
    for (const w of [...parent.sleep, ...parent.tried]) {
      if (w !== parent.chosen && !dependent(parent.points.get(w)!, moved)) sleep.add(w);
    }
    return sleep;
  }

  private nextChoice(node: Node): number | undefined {
    const order = node.current !== undefined && node.enabled.includes(node.current) ? [node.current, ...node.enabled.filter((w) => w !== node.current)] : node.enabled;
    for (const w of order) {
      if (node.tried.includes(w) || node.spent + cost(node, w) > this.bound) continue;
      if (node.sleep.has(w)) {
        if (!node.counted.has(w)) {
          node.counted.add(w);
          this.pruned++;
        }
        continue;
      }
      return w;
    }
    return undefined;
  }
}

/** What a run saw at a step, to compare a later run's with: who could move, where each stood, who moved. */
type Seen = Pick<Node, 'enabled' | 'stuck' | 'points' | 'chosen'>;

const seen = (view: ChoiceView, chosen: number): Seen => ({ enabled: view.enabled, stuck: view.stuck(), points: new Map(view.points), chosen });

/** Throws a NondeterminismError if a run reached this step otherwise than `node` did; `run` names the run in the message. */
function checkSame(step: number, node: Seen, view: ChoiceView, run = ''): void {
  const a = node.enabled.join(',');
  const b = view.enabled.join(',');
  if (a !== b) {
    // Which actor changed, and why it could not move in the run where it could not.
    const changed = [...new Set([...node.enabled, ...view.enabled])].filter((w) => node.enabled.includes(w) !== view.enabled.includes(w));
    const stuckNow = view.stuck();
    const why = changed.map((w) => `actor ${w} ${node.enabled.includes(w) ? `now ${stuckNow.get(w) ?? 'stuck'}` : `then ${node.stuck.get(w) ?? 'stuck'}`}`);
    throw new NondeterminismError(step, `${run}actors able to move were ${a}, now ${b}: ${why.join('; ')}`);
  }
  // The call, not its paths: temporary names with a counter or a random part (write-file-atomic,
  // atomically, contend's own atomic) differ from run to run and mean nothing.
  const was = node.points.get(node.chosen);
  const now = view.points.get(node.chosen);
  if (was && now && was.op !== now.op) {
    throw new NondeterminismError(step, `${run}actor ${node.chosen} stopped at ${describePoint(was)}, now at ${describePoint(now)}`);
  }
}

/** A seeded random walk: each step, any actor that can move, alike. */
export class RandomWalk implements Search {
  readonly pruned = 0;
  private readonly random: () => number;
  constructor(seed: string) {
    this.random = seedrandom(seed);
  }
  begin(): void {}
  choose(view: ChoiceView): number {
    return view.enabled[Math.floor(this.random() * view.enabled.length)]!;
  }
  finished(): boolean {
    return false;
  }
}

/**
 * PCT (Burckhardt et al., ASPLOS 2010): each run gives the actors random distinct priorities and
 * picks d−1 random steps where the running actor drops below all others; the highest-priority actor
 * that can move always moves. A bug of depth d is found by one run with probability at least
 * 1/(n·k^(d−1)), for n actors and runs of at most k steps.
 */
export class Pct implements Search {
  readonly pruned = 0;
  private readonly random: () => number;
  private priority = new Map<number, number>();
  private changes: number[] = [];
  /** The longest run seen: the k of the guarantee. */
  steps = 1;

  constructor(
    seed: string,
    private readonly workers: number,
    readonly depth: number,
  ) {
    this.random = seedrandom(seed);
  }

  begin(): void {
    const order = Array.from({ length: this.workers }, (_, i) => i + 1);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    // Priorities d … d+n−1; the change points lower the running actor to 1 … d−1.
    this.priority = new Map(order.map((w, i) => [w, this.depth + i]));
    this.changes = Array.from({ length: this.depth - 1 }, () => 1 + Math.floor(this.random() * this.steps));
  }

  choose(view: ChoiceView): number {
    const top = (): number => view.enabled.reduce((best, w) => (this.priority.get(w)! > this.priority.get(best)! ? w : best));
    const change = this.changes.indexOf(view.step);
    if (change >= 0) this.priority.set(top(), change + 1);
    return top();
  }

  finished(execution: Execution): boolean {
    this.steps = Math.max(this.steps, execution.steps.length);
    return false;
  }

  /** The least chance that one run finds a bug of this depth, as the paper bounds it. */
  guarantee(): string {
    return `each run finds a bug of depth ${this.depth} with probability ≥ 1/(n·k^(d−1)) = 1/(${this.workers}·${this.steps}^${this.depth - 1}) = ${(1 / (this.workers * this.steps ** (this.depth - 1))).toPrecision(3)}`;
  }
}

/** Follows a schedule given step by step (a replay), `times` times; an actor that cannot move there is an error. */
export class Replay implements Search {
  readonly pruned = 0;
  private at = 0;
  private runs = 0;
  /** What run 1 saw at each step: a later run that reaches a step otherwise (another call, other actors able to move) is another schedule. */
  private readonly first: Seen[] = [];
  constructor(
    private readonly choices: readonly number[],
    private readonly times = 1,
  ) {}
  begin(): void {
    this.at = 0;
  }
  choose(view: ChoiceView): number | undefined {
    const step = this.at++;
    const was = this.first[step];
    if (this.runs > 0 && was) checkSame(step, was, view, `run ${this.runs + 1} of the replay: `);
    const chosen = this.choices[step];
    // Where run 1 followed the schedule, a later run that cannot is the subject not repeating itself.
    const otherwise = (detail: string): Error =>
      this.runs > 0 ? new NondeterminismError(view.step, `run ${this.runs + 1} of the replay: ${detail}, where run 1 followed it`) : new ContendError('E_REPLAY', `${detail}: it is not this subject's schedule`);
    if (chosen === undefined) throw otherwise(`the schedule ends after ${this.choices.length} steps, but actors ${view.enabled.join(', ')} can still move`);
    if (!view.enabled.includes(chosen)) throw otherwise(`step ${view.step + 1}: actor ${chosen} cannot move (actors that can: ${view.enabled.join(', ')})`);
    if (this.runs === 0) this.first.push(seen(view, chosen));
    return chosen;
  }
  finished(execution: Execution): boolean {
    // A run that ends with steps of the schedule left did not replay it: its outcome is another's.
    if (this.at < this.choices.length) {
      const left = `ended (${execution.end}) with ${this.choices.length - this.at} of its ${this.choices.length} steps left`;
      if (this.runs === 0) throw new ContendError('E_REPLAY', `the replay's run ${left}: it is not this subject's schedule, or the subject does not repeat itself`);
      throw new NondeterminismError(this.at, `run ${this.runs + 1} of the replay ${left}, where run 1 took them all`);
    }
    return ++this.runs >= this.times;
  }
}
