import { describe, expect, test } from 'vitest';
import { registerWriteStrategy, unregisterWriteStrategy } from '../lib/index.js';
import { runStress } from '../lib/stress/index.js';
import { concurrentScenario } from '../lib/stress/concurrent.js';
import { interruptedScenario } from '../lib/stress/interrupted.js';
import { rapidScenario } from '../lib/stress/rapid.js';

// The MDV JSON write stress scenarios are chance-driven; what they must show without fail is that a rename-based
// save never leaves a reader, a crash or a crowd of writers with an invalid file.
describe.each(['atomic', 'write-file-atomic'])('%s under the MDV JSON write stress scenarios', (write) => {
  test('interrupted: a kill mid-save leaves the new file whole or none at all', async () => {
    const r = await interruptedScenario({ write, trials: 4, items: 2000 });
    expect(r.counts.INVALID_JSON).toBe(0);
    expect(r.counts.VALID_JSON + r.counts.FILE_NOT_CREATED).toBe(4);
  });

  test.each(['thread', 'process'] as const)('concurrent: five %s writers at once always leave one whole document', async (kind) => {
    const r = await concurrentScenario({ kind, write, iterations: 5 });
    expect(r.validRate).toBe(1);
    expect(r.wholeRate).toBe(1);
    expect(r.failedSaves).toBe(0);
    expect(r.latencies).toHaveLength(25);
  });

  test('rapid: a reader in another process never finds a torn or missing file', async () => {
    const r = await rapidScenario({ kind: 'process', write, writes: 30 });
    expect(r.reads).toBeGreaterThan(0);
    expect(r.found.torn + r.found.missing).toBe(0);
    expect(r.validRate).toBe(1);
  });
});

// Whole means one writer's document, judged as JSON: a writer that formats the document its own way
// (conf and jsonfile indent with tabs) is no less whole for it.
test.each([
  ['conf', undefined],
  ['reindent', 'Reindent'],
])('concurrent: %s, which saves other bytes for the same JSON, leaves whole documents', async (write, fixture) => {
  if (fixture) await registerWriteStrategy({ module: new URL('./fixtures/env-strategies.ts', import.meta.url).href, export: fixture });
  try {
    const r = await concurrentScenario({ kind: 'process', write, iterations: 3 });
    expect(r.validRate).toBe(1);
    expect(r.wholeRate).toBe(1);
  } finally {
    if (fixture) unregisterWriteStrategy(write);
  }
});

test('the report carries the stress table with every chosen strategy', async () => {
  const report = await runStress({ strategies: ['truncate', 'atomic'], scenarios: ['concurrent', 'rapid'], kinds: ['process'], trials: 3 });
  expect(Object.keys(report.table)).toEqual(['concurrent_write', 'rapid_succession']);
  expect(Object.keys(report.table.concurrent_write!)).toEqual(['truncate', 'atomic']);
  expect(report.table.concurrent_write!.atomic).toBe(1);
  expect(report.strategies.map((s) => s.latency!.count > 0)).toEqual([true, true]);
  // Every rate of the table to three places, as the text shows them: 1 of 3 is 0.333, not 0.3333333333333333.
  for (const rates of [report.table.concurrent_write!, report.table.rapid_succession!]) for (const rate of Object.values(rates)) expect(rate).toBe(Math.round(rate * 1000) / 1000);
});

test('bad lists name the allowed values', async () => {
  await expect(runStress({ scenarios: ['fast' as never] })).rejects.toThrow('invalid scenarios: "fast"; allowed: interrupted, concurrent, rapid, constrained');
  await expect(runStress({ strategies: ['nope'] })).rejects.toThrow('invalid strategies: "nope"; allowed: truncate, atomic');
  await expect(runStress({ trials: 0 })).rejects.toThrow('invalid trials: 0; allowed: an integer from 1 to 10000');
});
