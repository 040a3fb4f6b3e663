import seedrandom from 'seedrandom';
import { integerIn, numberIn } from '../support/check.js';
import { definedOnly } from '../support/defined.js';
import { checkCpuLoad } from '../support/load.js';
import { InvalidOptionError } from '../errors.js';

/** Faults injected into one workload run. Every field at zero is the baseline. */
export interface Chaos {
  /** Added before every storage call (snapshot read, commit), as a slow disk or network would, ms. */
  latencyMs: number;
  /** Windows in which storage is unavailable: calls made inside one wait until it ends. */
  outages: number;
  outageMs: number;
  /** Busy threads competing for the cores, each busy `cpuDuty` of the time. */
  cpuThreads: number;
  cpuDuty: number;
}

export const CHAOS_DEFAULTS: Chaos = { latencyMs: 0, outages: 0, outageMs: 0, cpuThreads: 0, cpuDuty: 0.8 };

/** The seven chaos scenarios of fusio-manifest's performance framework, scaled from S3 round trips to a local disk. */
export const CHAOS_SCENARIOS = ['baseline', 'latency-10ms', 'latency-20ms', 'latency-50ms', 'blocked', 'cpu', 'combined'] as const;
export type ChaosScenario = (typeof CHAOS_SCENARIOS)[number];

/**
 * The faults of a named scenario for a run of `duration` seconds: blocked storage is three
 * outages of a tenth of the run each (its three 10 s outages in 5 min, scaled); CPU overload
 * is one busy thread per core at 80%.
 */
export function chaosScenario(name: ChaosScenario, duration: number, cores: number): Chaos {
  const cpu = { cpuThreads: Math.min(cores, 64), cpuDuty: 0.8 };
  switch (name) {
    case 'baseline':
      return CHAOS_DEFAULTS;
    case 'latency-10ms':
      return { ...CHAOS_DEFAULTS, latencyMs: 10 };
    case 'latency-20ms':
      return { ...CHAOS_DEFAULTS, latencyMs: 20 };
    case 'latency-50ms':
      return { ...CHAOS_DEFAULTS, latencyMs: 50 };
    case 'blocked':
      return { ...CHAOS_DEFAULTS, outages: 3, outageMs: Math.round((duration * 1000) / 10) };
    case 'cpu':
      return { ...CHAOS_DEFAULTS, ...cpu };
    case 'combined':
      return { ...CHAOS_DEFAULTS, latencyMs: 20, ...cpu };
  }
}

export function resolveChaos(given: Partial<Chaos> | undefined): Chaos {
  if (given !== undefined && (typeof given !== 'object' || given === null || Array.isArray(given))) throw new InvalidOptionError('chaos', `an object with ${Object.keys(CHAOS_DEFAULTS).join(', ')}`, given);
  for (const key of Object.keys(given ?? {})) {
    if (!(key in CHAOS_DEFAULTS)) throw new InvalidOptionError('chaos field', Object.keys(CHAOS_DEFAULTS).join(', '), key);
  }
  const c: Chaos = { ...CHAOS_DEFAULTS, ...definedOnly(given ?? {}) };
  numberIn('chaos latencyMs', c.latencyMs, 0, 60_000, { unit: 'ms' });
  integerIn('chaos outages', c.outages, 0, 100);
  numberIn('chaos outageMs', c.outageMs, 0, 86_400_000, { unit: 'ms' });
  checkCpuLoad(c.cpuThreads, 'chaos cpuThreads');
  numberIn('chaos cpuDuty', c.cpuDuty, 0, 1, { open: true });
  return c;
}

/**
 * Where the outages fall, in ms from the start: the run is cut into one slot per outage, and each
 * outage starts at a seeded point of its slot, so outages never overlap and the same seed places
 * them the same way.
 */
export function outageWindows(chaos: Chaos, durationMs: number, seed: number): [start: number, end: number][] {
  if (chaos.outages === 0 || chaos.outageMs === 0) return [];
  const slot = durationMs / chaos.outages;
  if (chaos.outageMs > slot) {
    throw new InvalidOptionError('chaos outageMs', `at most ${Math.floor(slot)} ms: ${chaos.outages} outages must fit in ${durationMs} ms`, chaos.outageMs);
  }
  const rng = seedrandom(`outages:${seed}`);
  return Array.from({ length: chaos.outages }, (_, i) => {
    const start = i * slot + rng() * (slot - chaos.outageMs);
    return [start, start + chaos.outageMs];
  });
}

/** The one name a chaos setting is shown under in tables and the CSV. */
export function chaosLabel(c: Chaos): string {
  const parts: string[] = [];
  if (c.latencyMs) parts.push(`latency ${c.latencyMs}ms`);
  if (c.outages && c.outageMs) parts.push(`${c.outages}x${c.outageMs}ms outages`);
  if (c.cpuThreads) parts.push(`${c.cpuThreads} busy threads @${Math.round(c.cpuDuty * 100)}%`);
  return parts.join(' + ') || 'baseline';
}
