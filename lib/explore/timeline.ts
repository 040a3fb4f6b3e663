import { describePoint } from './point.js';
import type { Step } from './run.js';

const WIDTH = 34;

/**
 * A schedule as a per-actor timeline: one row per step, the call in the column of the actor that
 * made it, a `⇢` where the schedule switched away from an actor that could have gone on.
 */
export function timeline(steps: readonly Step[], workers: number): string {
  const fit = (text: string): string => (text.length > WIDTH - 2 ? `${text.slice(0, WIDTH - 3)}…` : text).padEnd(WIDTH);
  const head = `step  ${Array.from({ length: workers }, (_, i) => fit(`actor ${i + 1}`)).join('')}`.trimEnd();
  const rows = steps.map((s, i) => {
    const switched = i > 0 && steps[i - 1]!.worker !== s.worker ? '⇢ ' : '';
    const cells = Array.from({ length: workers }, (_, w) => fit(w + 1 === s.worker ? `${switched}${describePoint(s.point)}${s.point.holds ? ' [holds]' : ''}` : ''));
    return `${String(i + 1).padStart(4)}  ${cells.join('')}`.trimEnd();
  });
  return [head, ...rows].join('\n');
}
