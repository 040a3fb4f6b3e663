import { InvalidOptionError } from '../lib/errors.js';
import { validatePeriod, validateWorkers } from './generate.js';
import { OPS, PATTERNS, type Op, type Schedule } from './types.js';

/**
 * Checks a schedule that came from outside (a JSON file, a hand-written literal): worker numbers
 * in range, known ops, ticks in time order, and every read preceded by that worker's write.
 */
export function validateSchedule(input: unknown): Schedule {
  if (typeof input !== 'object' || input === null) throw new InvalidOptionError('schedule', 'an object { workers, period, ticks }', input);
  const s = input as Partial<Schedule>;
  const workers = validateWorkers(s.workers);
  const period = validatePeriod(s.period);
  const pattern = s.pattern ?? 'staggered';
  if (!PATTERNS.includes(pattern)) throw new InvalidOptionError('schedule.pattern', PATTERNS.join(', '), pattern);
  if (!Array.isArray(s.ticks)) throw new InvalidOptionError('schedule.ticks', 'an array of { at, actions }', s.ticks);
  let previous = -Infinity;
  const wrote = new Set<number>();
  for (const [i, tick] of s.ticks.entries()) {
    if (typeof tick?.at !== 'number' || !(tick.at >= previous)) {
      throw new InvalidOptionError(`schedule.ticks[${i}].at`, 'a number of seconds, not before the previous tick', tick?.at);
    }
    previous = tick.at;
    if (!Array.isArray(tick.actions)) throw new InvalidOptionError(`schedule.ticks[${i}].actions`, 'an array of { worker, op }', tick.actions);
    for (const [j, a] of tick.actions.entries()) {
      const where = `schedule.ticks[${i}].actions[${j}]`;
      if (!Number.isInteger(a?.worker) || a.worker < 1 || a.worker > workers) {
        throw new InvalidOptionError(`${where}.worker`, `an integer from 1 to ${workers}`, a?.worker);
      }
      if (!OPS.includes(a.op as Op)) throw new InvalidOptionError(`${where}.op`, OPS.join(', '), a?.op);
      if (a.op === 'write') wrote.add(a.worker);
      if (a.op === 'read' && !wrote.has(a.worker)) {
        throw new InvalidOptionError(`${where}`, 'a read only after the same worker wrote', `read by worker ${a.worker} before its write`);
      }
    }
  }
  return { workers, period, pattern, ...(s.seed !== undefined ? { seed: s.seed } : {}), ticks: s.ticks };
}
