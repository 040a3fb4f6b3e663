import { InvalidOptionError } from './errors.js';
import { validatePeriod, validateWorkers } from './generate.js';
import { OPS, PATTERNS, type Op, type Schedule } from './types.js';

/** The latest a tick may come, seconds: a week, which period mode would really wait. */
const MAX_AT = 7 * 24 * 3600;

/**
 * Checks a schedule that came from outside (a JSON file, a hand-written literal): worker numbers
 * in range, known ops, ticks in time order, pauses only on writes, every resume after a paused
 * write of the same worker, and nothing of a worker after its exit. A worker may read without
 * having written: a pure reader.
 */
export function validateSchedule(input: unknown): Schedule {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new InvalidOptionError('schedule', 'an object { workers, period, ticks }', input);
  const s = input as Partial<Schedule>;
  const workers = validateWorkers(s.workers);
  const period = validatePeriod(s.period);
  const pattern = s.pattern ?? 'staggered';
  if (!PATTERNS.includes(pattern)) throw new InvalidOptionError('schedule.pattern', PATTERNS.join(', '), pattern);
  if (!Array.isArray(s.ticks)) throw new InvalidOptionError('schedule.ticks', 'an array of { at, actions }', s.ticks);
  let previous = -Infinity;
  const paused = new Set<number>();
  // A worker that has exited has no actor left to take an action.
  const exited = new Set<number>();
  for (const [i, tick] of s.ticks.entries()) {
    if (typeof tick?.at !== 'number' || !(tick.at >= previous) || !(tick.at >= 0 && tick.at <= MAX_AT)) {
      throw new InvalidOptionError(`schedule.ticks[${i}].at`, `a number of seconds from 0 to ${MAX_AT}, not before the previous tick`, tick?.at);
    }
    previous = tick.at;
    if (!Array.isArray(tick.actions)) throw new InvalidOptionError(`schedule.ticks[${i}].actions`, 'an array of { worker, op }', tick.actions);
    for (const [j, a] of tick.actions.entries()) {
      const where = `schedule.ticks[${i}].actions[${j}]`;
      if (!Number.isInteger(a?.worker) || a.worker < 1 || a.worker > workers) {
        throw new InvalidOptionError(`${where}.worker`, `an integer from 1 to ${workers}`, a?.worker);
      }
      if (!OPS.includes(a.op as Op)) throw new InvalidOptionError(`${where}.op`, OPS.join(', '), a?.op);
      if (exited.has(a.worker)) throw new InvalidOptionError(`${where}`, "no action of a worker after its exit", `'${a.op}' of worker ${a.worker}`);
      if (a.op === 'exit') exited.add(a.worker);
      if (a.pause !== undefined) {
        if (a.op !== 'write') throw new InvalidOptionError(`${where}.pause`, 'a pause on a write only', a.pause);
        if (typeof a.pause !== 'string' || !/^[a-z][a-zA-Z]*(#[1-9]\d*)?$/.test(a.pause)) {
          throw new InvalidOptionError(`${where}.pause`, 'a step name with an optional count, e.g. write, rename, write#2', a.pause);
        }
        paused.add(a.worker);
      } else if (a.op === 'resume') {
        if (!paused.delete(a.worker)) throw new InvalidOptionError(`${where}`, 'a resume only after a paused write of the same worker', `resume of worker ${a.worker}`);
      } else if (paused.has(a.worker)) {
        throw new InvalidOptionError(`${where}`, "a paused worker's next action: its resume", `'${a.op}' of worker ${a.worker}`);
      }
    }
  }
  if (paused.size) {
    throw new InvalidOptionError('schedule', 'every paused write resumed before the end', `worker ${[...paused].join(', ')} left paused`);
  }
  return { workers, period, pattern, ...(s.seed !== undefined ? { seed: s.seed } : {}), ticks: s.ticks };
}
