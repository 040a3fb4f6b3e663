import { describePoint } from './point.js';
import type { Step } from './run.js';

const WIDTH = 34;

/**
 * A schedule as a per-actor timeline: one row per step, the call in the column of the actor that
 * made it, a `⇢` where the schedule switched away from an actor that could have gone on (a
 * preemption), `[holds]` where the actor held its lock.
 */
export function timeline(steps: readonly Step[], workers: number): string {
  const fit = (text: string): string => (text.length > WIDTH - 2 ? `${text.slice(0, WIDTH - 3)}…` : text).padEnd(WIDTH);
  const head = `step  ${Array.from({ length: workers }, (_, i) => fit(`actor ${i + 1}`)).join('')}`.trimEnd();
  const rows = steps.map((s, i) => {
    const switched = s.preempted ? '⇢ ' : '';
    const cells = Array.from({ length: workers }, (_, w) => fit(w + 1 === s.worker ? `${switched}${describePoint(s.point)}${s.point.holds ? ' [holds]' : ''}` : ''));
    return `${String(i + 1).padStart(4)}  ${cells.join('')}`.trimEnd();
  });
  return [head, ...rows].join('\n');
}

const escape = (text: string): string => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/**
 * The same timeline as an SVG drawing: a lane per actor, a box per step down the page, a line from
 * one actor's step to the next actor's where the schedule switched, red where it preempted (the
 * actor it left could have gone on), steps under the lock shaded.
 */
export function timelineSvg(steps: readonly Step[], workers: number, title: string): string {
  const lane = 260;
  const row = 22;
  const top = 48;
  const width = 60 + lane * workers;
  const height = top + row * steps.length + 20;
  const x = (worker: number): number => 60 + lane * (worker - 1);
  const y = (i: number): number => top + row * i;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace" font-size="12">`,
    `<title>${escape(title)}</title>`,
    `<text x="8" y="18" font-weight="bold">${escape(title)}</text>`,
    ...Array.from({ length: workers }, (_, w) => `<text x="${x(w + 1) + 8}" y="${top - 8}" font-weight="bold">actor ${w + 1}</text><line x1="${x(w + 1)}" y1="${top - 4}" x2="${x(w + 1)}" y2="${height - 10}" stroke="#ccc"/>`),
  ];
  steps.forEach((s, i) => {
    const prev = steps[i - 1];
    if (prev && prev.worker !== s.worker) {
      parts.push(`<line x1="${x(prev.worker) + lane / 2}" y1="${y(i - 1) + 16}" x2="${x(s.worker) + lane / 2}" y2="${y(i) + 2}" stroke="${s.preempted ? '#c33' : '#999'}" stroke-dasharray="3,2"/>`);
    }
    parts.push(
      `<text x="8" y="${y(i) + 14}" fill="#999">${i + 1}</text>`,
      `<rect x="${x(s.worker) + 4}" y="${y(i) + 2}" width="${lane - 12}" height="${row - 4}" rx="3" fill="${s.point.holds ? '#fde7c8' : '#e8eef8'}" stroke="#8aa"/>`,
      `<text x="${x(s.worker) + 10}" y="${y(i) + 15}">${escape(describePoint(s.point).slice(0, 34))}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** An HTML page with the drawing and the text timeline, for a browser. */
export function timelineHtml(steps: readonly Step[], workers: number, title: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body>
${timelineSvg(steps, workers, title)}
<pre>${escape(timeline(steps, workers))}</pre>
</body></html>
`;
}
