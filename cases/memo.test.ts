import { expect, test } from 'vitest';
import { once, oncePerKey } from '../lib/support/memo.js';

// The worker kinds load through once(), compiled modules and imports of adapters through
// oncePerKey(): a load that failed (a module being fixed) must be tried again, not failed for good.

test('once(): one promise for every caller; a failure is forgotten and the next call makes it again; made() starts nothing', async () => {
  let calls = 0;
  const loaded = once(async () => {
    calls++;
    if (calls === 1) throw new Error('not yet');
    return calls;
  });
  expect(loaded.made()).toBeUndefined();
  expect(calls).toBe(0);
  const first = loaded.get();
  expect(loaded.get()).toBe(first);
  await expect(first).rejects.toThrow('not yet');
  expect(loaded.made()).toBeUndefined();
  const [a, b] = await Promise.all([loaded.get(), loaded.get()]);
  expect([a, b, calls]).toEqual([2, 2, 2]);
  expect(await loaded.made()).toBe(2);
});

test('oncePerKey(): the same per key, each key on its own', async () => {
  const made: string[] = [];
  const byKey = oncePerKey(async (key) => {
    made.push(key);
    if (made.filter((k) => k === key).length === 1 && key === 'b') throw new Error('b failed');
    return key.toUpperCase();
  });
  expect(await Promise.all([byKey('a'), byKey('a')])).toEqual(['A', 'A']);
  await expect(byKey('b')).rejects.toThrow('b failed');
  expect(await byKey('b')).toBe('B');
  expect(made).toEqual(['a', 'b', 'b']);
});
