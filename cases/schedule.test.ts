import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import {
  applyOrdering,
  forceReadOrder,
  forceWriteOrder,
  formatSchedule,
  formatTable,
  generateSchedule,
  InvalidOptionError,
  validateSchedule,
} from '../lib/index.js';

const STAGGERED_TABLE = [
  "0.0000\t[(1, 'write')]",
  "2.0000\t[(2, 'write')]",
  "4.0000\t[(1, 'read'), (3, 'write')]",
  "6.0000\t[(2, 'read'), (4, 'write')]",
  "8.0000\t[(3, 'read'), (5, 'write')]",
  "10.0000\t[(4, 'read')]",
  "12.0000\t[(5, 'read')]",
].join('\n');

describe('staggered pattern', () => {
  test('reproduces the staggered overlap table of the AppCache lock tests', () => {
    expect(formatTable(generateSchedule({ workers: 5, period: 2 }))).toBe(STAGGERED_TABLE);
  });

  test('worker n writes at (n−1)·period and reads at (n+1)·period', () => {
    const s = generateSchedule({ workers: 8, period: 0.5 });
    for (let n = 1; n <= 8; n++) {
      const at = (op: string) => s.ticks.find((t) => t.actions.some((a) => a.worker === n && a.op === op))!.at;
      expect(at('write')).toBe((n - 1) * 0.5);
      expect(at('read')).toBe((n + 1) * 0.5);
    }
  });

  test('`contend schedule --workers 5 --period 2` prints it byte for byte', () => {
    const out = execFileSync(process.execPath, ['dist/lib/cli/main.js', 'schedule', '--workers', '5', '--period', '2'], { encoding: 'utf8' });
    expect(out).toBe(STAGGERED_TABLE + '\n');
  });
});

describe('orderings', () => {
  const tick = [
    { worker: 1, op: 'read' as const },
    { worker: 3, op: 'write' as const },
    { worker: 2, op: 'exit' as const },
    { worker: 4, op: 'read' as const },
  ];
  test('force-write puts writes first and keeps the rest in generated order', () => {
    expect(forceWriteOrder(tick).map((a) => `${a.worker}${a.op[0]}`)).toEqual(['3w', '1r', '4r', '2e']);
  });
  test('force-read puts reads first', () => {
    expect(forceReadOrder(tick).map((a) => `${a.worker}${a.op[0]}`)).toEqual(['1r', '4r', '3w', '2e']);
  });
  test('ordering a schedule leaves the input alone', () => {
    const s = generateSchedule({ workers: 5, period: 2 });
    const before = JSON.stringify(s);
    const ordered = applyOrdering(s, 'force-write');
    expect(JSON.stringify(s)).toBe(before);
    expect(ordered.ticks[2]!.actions).toEqual([
      { worker: 3, op: 'write' },
      { worker: 1, op: 'read' },
    ]);
  });
});

describe('random pattern', () => {
  test('the same seed gives the same schedule, another seed another', () => {
    const a = generateSchedule({ workers: 6, period: 1, pattern: 'random', seed: 42 });
    const b = generateSchedule({ workers: 6, period: 1, pattern: 'random', seed: 42 });
    const c = generateSchedule({ workers: 6, period: 1, pattern: 'random', seed: 43 });
    expect(a).toEqual(b);
    expect(formatTable(a)).not.toBe(formatTable(c));
  });

  test('every worker writes once, then reads once later', () => {
    for (let seed = 0; seed < 50; seed++) {
      const s = validateSchedule(generateSchedule({ workers: 7, period: 1, pattern: 'random', seed }));
      for (let w = 1; w <= 7; w++) {
        const ticks = (op: string) => s.ticks.filter((t) => t.actions.some((a) => a.worker === w && a.op === op)).map((t) => t.at);
        expect(ticks('write')).toHaveLength(1);
        expect(ticks('read')).toHaveLength(1);
        expect(ticks('read')[0]!).toBeGreaterThan(ticks('write')[0]!);
      }
    }
  });
});

describe('formats', () => {
  const s = generateSchedule({ workers: 3, period: 2 });
  test('timeline: one row per worker, W at the write, R at the read, a bar between', () => {
    const lines = formatSchedule(s, 'timeline').split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^worker 1 +W─+R$/);
    expect(lines[2]!.indexOf('W')).toBe(lines[1]!.indexOf('W') + 6);
  });
  test('json round-trips through validation', () => {
    expect(validateSchedule(JSON.parse(formatSchedule(s, 'json')))).toEqual(s);
  });
  test('svg draws one bar per write…read pair', () => {
    const svg = formatSchedule(s, 'svg');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect [^>]*rx="3"/g)).toHaveLength(3);
  });
  test('an unknown format names the allowed ones', () => {
    expect(() => formatSchedule(s, 'yaml' as never)).toThrow('invalid format: "yaml"; allowed: table, timeline, json, svg');
  });
});

describe('validation', () => {
  test.each([
    [{ workers: 0, period: 2 }, 'invalid workers: 0; allowed: an integer from 1 to 64'],
    [{ workers: 2.5, period: 2 }, 'invalid workers: 2.5'],
    [{ workers: 5, period: -1 }, 'invalid period: -1; allowed: a number of seconds above 0, at most 3600'],
    [{ workers: 5, period: 2, pattern: 'zigzag' }, 'invalid pattern: "zigzag"; allowed: staggered, random'],
    // The staggered table draws nothing: a seed given with it was meant for a random schedule.
    [{ workers: 5, period: 2, seed: 7 }, 'invalid seed: 7; allowed: a seed only with the random pattern (the staggered one draws nothing)'],
    [{ workers: 5, period: 2, pattern: 'staggered', span: 4 }, 'invalid span: 4; allowed: a span only with the random pattern (the staggered one draws nothing)'],
    [{ workers: 5, period: 2, pattern: 'random', seed: 2 ** 60 }, 'invalid seed: 1152921504606847000; allowed: an integer from -9007199254740991 to 9007199254740991'],
  ])('%o', (options, message) => {
    expect(() => generateSchedule(options as never)).toThrow(InvalidOptionError);
    expect(() => generateSchedule(options as never)).toThrow(message);
  });

  const one = (...actions: object[]) => ({ workers: 2, period: 1, ticks: actions.map((a, i) => ({ at: i, actions: [a] })) });
  test('a worker may only read (a pure reader)', () => {
    expect(validateSchedule(one({ worker: 1, op: 'read' })).ticks).toHaveLength(1);
  });
  test('pauses go on writes only, name a step, and are followed by their resume', () => {
    expect(() => validateSchedule(one({ worker: 1, op: 'read', pause: 'write' }))).toThrow('allowed: a pause on a write only');
    expect(() => validateSchedule(one({ worker: 1, op: 'write', pause: 'write#0' }))).toThrow('allowed: a step name with an optional count');
    expect(() => validateSchedule(one({ worker: 1, op: 'write', pause: 'rename' }, { worker: 1, op: 'read' }))).toThrow(
      "allowed: a paused worker's next action: its resume",
    );
    expect(() => validateSchedule(one({ worker: 2, op: 'resume' }))).toThrow('a resume only after a paused write of the same worker');
    expect(validateSchedule(one({ worker: 1, op: 'write', pause: 'write#2' }, { worker: 2, op: 'read' }, { worker: 1, op: 'resume' })).ticks).toHaveLength(3);
  });
  // Each kind failed otherwise at the action itself: a throw, a thread that ended, a 10 s hang.
  test('nothing of a worker after its exit, another worker\'s actions still', () => {
    expect(() => validateSchedule(one({ worker: 1, op: 'exit' }, { worker: 1, op: 'write' }))).toThrow(`invalid schedule.ticks[1].actions[0]: "'write' of worker 1"; allowed: no action of a worker after its exit`);
    expect(() => validateSchedule(one({ worker: 1, op: 'exit' }, { worker: 1, op: 'exit' }))).toThrow('allowed: no action of a worker after its exit');
    expect(validateSchedule(one({ worker: 1, op: 'exit' }, { worker: 2, op: 'write' })).ticks).toHaveLength(2);
  });
  test('a worker outside the schedule is refused', () => {
    expect(() =>
      validateSchedule({ workers: 2, period: 1, ticks: [{ at: 0, actions: [{ worker: 3, op: 'write' }] }] }),
    ).toThrow('allowed: an integer from 1 to 2');
  });
});
