/** The options by which locks time their expiry (a stale time, a lease) and its renewal. */
const CLOCK_OPTIONS = ['staleMs', 'ttlMs', 'updateMs'] as const;

/** How long a lock explored with its clock stretched may go untouched before it expires. */
const STRETCHED_EXPIRY_MS = 3_600_000;

/**
 * A lock's options with its clock stretched. Explore runs a schedule call by call, a round trip
 * each, so a schedule takes far longer than its calls would (seconds on a loaded machine), and a
 * lock that expires by the clock would expire in some runs of a schedule and not in others: not a
 * race of the lock, and the search would stop as nondeterministic. Its times are scaled up
 * together (their ratios kept, which libraries check) until it expires after an hour. `stretched`
 * says how (`staleMs 3600000, updateMs 1800000: ×1800`); empty when the lock has no such time.
 */
export function withStretchedClock(options: Record<string, unknown>): { lockOptions: Record<string, unknown>; stretched: string } {
  const expiry = Number(options.staleMs ?? options.ttlMs ?? 0);
  if (!(expiry > 0 && expiry < STRETCHED_EXPIRY_MS)) return { lockOptions: options, stretched: '' };
  const factor = Math.ceil(STRETCHED_EXPIRY_MS / expiry);
  const scaled = CLOCK_OPTIONS.filter((k) => typeof options[k] === 'number').map((k) => [k, (options[k] as number) * factor] as const);
  return { lockOptions: { ...options, ...Object.fromEntries(scaled) }, stretched: `${scaled.map(([k, v]) => `${k} ${v}`).join(', ')}: ×${factor}` };
}
