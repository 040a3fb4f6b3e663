import { InvalidOptionError } from './errors.js';
import type { Schedule } from './types.js';

export const SCHEDULE_FORMATS = ['table', 'timeline', 'json', 'svg'] as const;
export type ScheduleFormat = (typeof SCHEDULE_FORMATS)[number];

/** The staggered overlap table, as the AppCache lock tests print it: `0.0000\t[(1, 'write')]`, one tick a line. */
export function formatTable(schedule: Schedule): string {
  return schedule.ticks
    .map((t) => `${t.at.toFixed(4)}\t[${t.actions.map((a) => `(${a.worker}, '${a.op}'${a.pause ? `, pause='${a.pause}'` : ''})`).join(', ')}]`)
    .join('\n');
}

/**
 * One row per worker, one column per tick: W where it writes, R where it reads, a bar while
 * its written content should still be its own. Overlapping bars are the races a lock must stop.
 */
export function formatTimeline(schedule: Schedule): string {
  const width = Math.max(6, ...schedule.ticks.map((t) => formatSeconds(t.at).length + 1));
  const label = `worker ${schedule.workers}`.length + 2;
  const header = ' '.repeat(label) + schedule.ticks.map((t) => formatSeconds(t.at).padEnd(width)).join('');
  const rows: string[] = [header.trimEnd()];
  for (let w = 1; w <= schedule.workers; w++) {
    let open = false;
    let row = '';
    for (const tick of schedule.ticks) {
      const ops = tick.actions.filter((a) => a.worker === w).map((a) => a.op);
      let cell = open ? '─'.repeat(width) : ' '.repeat(width);
      if (ops.length) {
        const marks = ops.map((op) => op[0]!.toUpperCase()).join('');
        if (ops.includes('write')) open = true;
        if (ops.includes('read') || ops.includes('exit')) open = ops.lastIndexOf('write') > Math.max(ops.lastIndexOf('read'), ops.lastIndexOf('exit'));
        cell = marks + (open ? '─' : ' ').repeat(width - marks.length);
      }
      row += cell;
    }
    rows.push((`worker ${w}`.padEnd(label) + row).trimEnd());
  }
  return rows.join('\n');
}

export function formatJson(schedule: Schedule): string {
  return JSON.stringify(schedule, null, 2);
}

/** The overlap diagram as a standalone SVG: one lane per worker, a bar from its write to its read. */
export function formatSvg(schedule: Schedule): string {
  const laneHeight = 28;
  const left = 80;
  const last = schedule.ticks.at(-1)?.at ?? 0;
  const scale = 560 / Math.max(last, schedule.period);
  const width = left + 560 + 40;
  const height = 40 + schedule.workers * laneHeight + 30;
  const x = (t: number): number => left + t * scale;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  for (const tick of schedule.ticks) {
    parts.push(`<line x1="${x(tick.at)}" y1="20" x2="${x(tick.at)}" y2="${height - 24}" stroke="#ddd"/>`);
    parts.push(`<text x="${x(tick.at)}" y="${height - 8}" text-anchor="middle">${formatSeconds(tick.at)}</text>`);
  }
  const dots: string[] = [];
  for (let w = 1; w <= schedule.workers; w++) {
    const y = 24 + (w - 1) * laneHeight;
    parts.push(`<text x="8" y="${y + 16}">worker ${w}</text>`);
    let writeAt: number | undefined;
    for (const tick of schedule.ticks) {
      for (const a of tick.actions.filter((act) => act.worker === w)) {
        if (a.op === 'write') writeAt = tick.at;
        else if (a.op === 'read' && writeAt !== undefined) {
          parts.push(`<rect x="${x(writeAt)}" y="${y + 4}" width="${x(tick.at) - x(writeAt)}" height="16" rx="3" fill="#9ecae1" stroke="#3182bd"/>`);
          writeAt = undefined;
        }
        const colour = a.op === 'write' ? '#d62728' : a.op === 'read' ? '#2ca02c' : '#7f7f7f';
        dots.push(`<circle cx="${x(tick.at)}" cy="${y + 12}" r="5" fill="${colour}"><title>(${a.worker}, '${a.op}') at ${formatSeconds(tick.at)} s</title></circle>`);
      }
    }
  }
  // Dots after bars, so a write's dot is not hidden under its own bar.
  parts.push(...dots);
  parts.push(
    `<text x="${left}" y="14" xml:space="preserve"><tspan fill="#d62728">●</tspan> write   <tspan fill="#2ca02c">●</tspan> read   bar: the file must still hold the worker's own write</text>`,
  );
  parts.push(`<text x="${width - 8}" y="${height - 8}" text-anchor="end">s</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

export function formatSchedule(schedule: Schedule, format: ScheduleFormat = 'table'): string {
  switch (format) {
    case 'table':
      return formatTable(schedule);
    case 'timeline':
      return formatTimeline(schedule);
    case 'json':
      return formatJson(schedule);
    case 'svg':
      return formatSvg(schedule);
    default:
      throw new InvalidOptionError('format', SCHEDULE_FORMATS.join(', '), format);
  }
}

function formatSeconds(s: number): string {
  return Number.isInteger(s) ? `${s}` : `${+s.toFixed(4)}`;
}
