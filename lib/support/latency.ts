import * as hdr from 'hdr-histogram-js';

/**
 * Percentiles of latencies given in ms, through an HDR histogram of µs (1 µs to an hour, 3
 * significant digits), so a hung call still lands in it. No samples give zeros.
 */
export function msPercentiles(samplesMs: readonly number[], ps: readonly number[]): number[] {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  for (const ms of samplesMs) h.recordValue(Math.max(1, Math.round(ms * 1000)));
  const values = ps.map((p) => h.getValueAtPercentile(p) / 1000);
  h.destroy();
  return values;
}
