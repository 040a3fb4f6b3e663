import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { CorruptStoreError, InvalidOptionError, JsonFileStore, StoreVersionError } from '../lib/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'contend-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// A time well in the past: a rewrite, even in the same second, would show in mtime.
const PAST = new Date('2001-02-03T04:05:06Z');

/** What a refusal must leave as it was: the bytes, the inode (a rename replaces it) and mtime. */
function snapshot(path: string): { bytes: Buffer | undefined; ino: number; mtimeMs: number; isFile: boolean } {
  const stats = lstatSync(path);
  return { bytes: stats.isFile() ? readFileSync(path) : undefined, ino: stats.ino, mtimeMs: stats.mtimeMs, isFile: stats.isFile() };
}

function expectUnchanged(path: string, before: ReturnType<typeof snapshot>): void {
  const after = snapshot(path);
  if (before.bytes) expect(Buffer.compare(after.bytes!, before.bytes)).toBe(0);
  expect(after).toEqual(before);
}

function writeOld(path: string, content: string): void {
  writeFileSync(path, content);
  utimesSync(path, PAST, PAST);
}

async function refusal(promise: Promise<unknown>): Promise<CorruptStoreError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a refusal, got success');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CorruptStoreError);
  expect((error as CorruptStoreError).code).toBe('E_CORRUPT_STORE');
  return error as CorruptStoreError;
}

const valid = JSON.stringify({ version: 1, keys: { a: { sequence: 1 } } });

// One row per kind of file that is not exactly a version 1 store, with the reason it is refused.
const notStores: [string, string, string][] = [
  ['{"keys":[]} (put would report success and store nothing)', '{"keys":[]}', '"keys" is an array, not an object'],
  ['an extra top-level field (put would drop it)', '{"version":1,"keys":{},"owner":"billing"}', 'unexpected top-level field "owner"'],
  ['no version', '{"keys":{"a":{"sequence":1}}}', 'no "version"'],
  ['version as a string', '{"version":"1","keys":{}}', '"version" is the string "1", not the number 1'],
  ['keys as an array of checkpoints', '{"version":1,"keys":[{"sequence":1}]}', '"keys" is an array, not an object'],
  ['a non-integer sequence', '{"version":1,"keys":{"a":{"sequence":1.5}}}', 'key "a" has no integer sequence'],
  ['a checkpoint that is an array', '{"version":1,"keys":{"a":[1]}}', 'key "a" has no integer sequence'],
  ['a top-level array', '[{"version":1,"keys":{}}]', 'no "keys" object: the file holds an array'],
  ['an empty file', '', 'empty file'],
  ['not JSON', '{"version":1,"keys":{', 'not JSON'],
];

describe('a file that is not exactly a store is refused and left byte for byte', () => {
  test.each(notStores)('open: %s', async (_, content, reason) => {
    const path = join(dir, 'state.json');
    writeOld(path, content);
    const before = snapshot(path);
    const error = await refusal(JsonFileStore.open(path));
    expect(error.message).toBe(`store ${path} is corrupt (${error.reason}); it was left untouched`);
    expect(error.reason).toContain(reason);
    expect(error.path).toBe(path);
    expectUnchanged(path, before);
  });

  test.each(notStores)('put after open: %s', async (_, content, reason) => {
    const path = join(dir, 'state.json');
    writeFileSync(path, valid);
    const store = await JsonFileStore.open(path);
    try {
      writeOld(path, content);
      const before = snapshot(path);
      const listing = readdirSync(dir);
      const error = await refusal(store.put('b', { sequence: 2 }));
      expect(error.message).toContain(`store ${path} is corrupt (`);
      expect(error.reason).toContain(reason);
      expectUnchanged(path, before);
      // Nothing saved beside it either (no temp file of a save that was started).
      expect(readdirSync(dir)).toEqual(listing);
    } finally {
      await store.close();
    }
  });

  test('"version": 2 is its own error, still a CorruptStoreError, and is not rewritten to 1', async () => {
    const path = join(dir, 'state.json');
    writeOld(path, '{"version": 2, "keys": {"a": {"sequence": 7}}, "shards": 4}');
    const before = snapshot(path);
    const error = await refusal(JsonFileStore.open(path));
    expect(error).toBeInstanceOf(StoreVersionError);
    expect((error as StoreVersionError).version).toBe(2);
    expect(error.message).toBe(`store ${path} is version 2; this contend reads version 1 stores; it was left untouched`);
    expectUnchanged(path, before);
  });

  test('"version": 2 written after open is refused by put', async () => {
    const path = join(dir, 'state.json');
    writeFileSync(path, valid);
    const store = await JsonFileStore.open(path);
    try {
      writeOld(path, '{"version":2,"keys":{}}');
      const before = snapshot(path);
      expect(await refusal(store.put('a', { sequence: 9 }))).toBeInstanceOf(StoreVersionError);
      expectUnchanged(path, before);
    } finally {
      await store.close();
    }
  });

  test('a directory at the path is a CorruptStoreError, not a raw EISDIR', async () => {
    const path = join(dir, 'state.json');
    mkdirSync(path);
    writeFileSync(join(path, 'inside'), 'x');
    utimesSync(path, PAST, PAST);
    const before = snapshot(path);
    const error = await refusal(JsonFileStore.open(path));
    expect(error.message).toBe(`store ${path} is corrupt (a directory, not a file); it was left untouched`);
    expectUnchanged(path, before);
    expect(readdirSync(path)).toEqual(['inside']);
  });

  test('a directory that replaces the file after open is refused by put', async () => {
    const path = join(dir, 'state.json');
    const store = await JsonFileStore.open(path);
    try {
      mkdirSync(path);
      utimesSync(path, PAST, PAST);
      const before = snapshot(path);
      const error = await refusal(store.put('a', { sequence: 1 }));
      expect(error.message).toContain(`store ${path} is corrupt (a directory`);
      expectUnchanged(path, before);
      expect(readdirSync(path)).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

describe('nothing is dropped', () => {
  test('a put keeps every stored key and every field, and adds its own', async () => {
    const path = join(dir, 'state.json');
    const keys = { a: { sequence: 3, note: 'three', tags: ['x'] }, b: { sequence: 5, nested: { deep: null } } };
    writeFileSync(path, JSON.stringify({ version: 1, keys }, null, 2));
    const store = await JsonFileStore.open(path);
    try {
      expect(await store.put('c', { sequence: 1 })).toEqual({ sequence: 1 });
    } finally {
      await store.close();
    }
    expect(JSON.parse(readFileSync(path, 'utf8'))).toStrictEqual({ version: 1, keys: { ...keys, c: { sequence: 1 } } });
  });

  test('a key named like an Object.prototype member is stored, not swallowed', async () => {
    const path = join(dir, 'state.json');
    const store = await JsonFileStore.open(path);
    try {
      expect(await store.get('toString')).toBeUndefined();
      await store.put('__proto__', { sequence: 4 });
      await store.put('toString', { sequence: 2 });
      expect(await store.get('__proto__')).toEqual({ sequence: 4 });
      expect(await store.get('toString')).toEqual({ sequence: 2 });
    } finally {
      await store.close();
    }
    const stored = JSON.parse(readFileSync(path, 'utf8')) as { keys: object };
    expect(Object.keys(stored.keys)).toEqual(['__proto__', 'toString']);
  });

  test.each<[string, Record<string, unknown>, string]>([
    ['an undefined field', { sequence: 1, note: undefined }, 'field "note" would not be stored as it is'],
    ['a Date', { sequence: 1, at: new Date(0) }, 'field "at" would not be stored as it is'],
    ['NaN', { sequence: 1, ratio: Number.NaN }, 'field "ratio" would not be stored as it is'],
    ['a BigInt', { sequence: 1, big: 1n }, 'field "big": Do not know how to serialize a BigInt'],
  ])('a checkpoint JSON would change (%s) is refused before the file is touched', async (_, checkpoint, why) => {
    const path = join(dir, 'state.json');
    writeOld(path, valid);
    const before = snapshot(path);
    const store = await JsonFileStore.open(path);
    try {
      const error = await store.put('a', checkpoint as { sequence: number }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).code).toBe('E_INVALID_OPTION');
      expect((error as Error).message).toContain(`(${why})`);
    } finally {
      await store.close();
    }
    expectUnchanged(path, before);
  });
});

describe('a symlinked store is written through to its target', () => {
  test('the target holds the put and the link still points at it', async () => {
    const real = join(dir, 'real.json');
    const link = join(dir, 'link.json');
    writeFileSync(real, valid);
    symlinkSync('real.json', link);
    const store = await JsonFileStore.open(link);
    try {
      expect(store.path).toBe(link);
      expect(store.target).toBe(join(realpathSync(dir), 'real.json'));
      await store.put('b', { sequence: 2 });
    } finally {
      await store.close();
    }
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('real.json');
    expect(lstatSync(real).isFile()).toBe(true);
    expect(JSON.parse(readFileSync(real, 'utf8'))).toEqual({ version: 1, keys: { a: { sequence: 1 }, b: { sequence: 2 } } });
    expect(readdirSync(dir).sort()).toEqual(['link.json', 'real.json', 'real.json.lock']);
  });

  test('a chain of links, relative and absolute, across directories', async () => {
    mkdirSync(join(dir, 'data'));
    mkdirSync(join(dir, 'etc'));
    const real = join(dir, 'data', 'real.json');
    writeFileSync(real, valid);
    symlinkSync(real, join(dir, 'etc', 'middle.json'));
    symlinkSync('etc/middle.json', join(dir, 'first.json'));
    const store = await JsonFileStore.open(join(dir, 'first.json'));
    try {
      expect(store.target).toBe(real);
      await store.put('b', { sequence: 2 });
    } finally {
      await store.close();
    }
    expect(readlinkSync(join(dir, 'first.json'))).toBe('etc/middle.json');
    expect(readlinkSync(join(dir, 'etc', 'middle.json'))).toBe(real);
    expect(Object.keys(JSON.parse(readFileSync(real, 'utf8')).keys)).toEqual(['a', 'b']);
  });

  test('a dangling symlink: the store is created at its target and the link stays', async () => {
    const link = join(dir, 'link.json');
    symlinkSync('missing.json', link);
    const store = await JsonFileStore.open(link);
    try {
      expect(await store.load()).toEqual({});
      await store.put('a', { sequence: 1 });
    } finally {
      await store.close();
    }
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('missing.json');
    expect(lstatSync(join(dir, 'missing.json')).isFile()).toBe(true);
    expect(readFileSync(join(dir, 'missing.json'), 'utf8')).toBe(valid);
  });

  test('stores opened through a link and through the real path share one lock and exclude each other', async () => {
    const real = join(realpathSync(dir), 'real.json');
    const link = join(dir, 'link.json');
    symlinkSync('real.json', link);
    const viaLink = await JsonFileStore.open(link);
    const viaReal = await JsonFileStore.open(real);
    try {
      expect(viaLink.lockPath).toBe(`${real}.lock`);
      expect(viaReal.lockPath).toBe(`${real}.lock`);
      expect(readdirSync(dir).sort()).toEqual(['link.json', 'real.json.lock']);
      // Both at once: without one lock between them a re-read would miss the other's save.
      await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? viaLink : viaReal).put(`k${i}`, { sequence: i })));
      expect(Object.keys(await viaReal.load())).toHaveLength(30);
    } finally {
      await viaLink.close();
      await viaReal.close();
    }
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  test('a symlink loop is refused with a typed error and the links are kept', async () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    symlinkSync('b.json', a);
    symlinkSync('a.json', b);
    const error = await JsonFileStore.open(a).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).code).toBe('E_INVALID_OPTION');
    expect((error as Error).message).toContain(`invalid store path: ${JSON.stringify(a)} (a symlink loop: more than 40 links)`);
    expect(readlinkSync(a)).toBe('b.json');
    expect(readlinkSync(b)).toBe('a.json');
    expect(readdirSync(dir).sort()).toEqual(['a.json', 'b.json']);
  });

  test('a link into a directory that does not exist is refused, nothing is created', async () => {
    const link = join(dir, 'link.json');
    symlinkSync('nowhere/real.json', link);
    const error = await JsonFileStore.open(link).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toContain(`invalid store path: ${JSON.stringify(link)} (the directory ${join(realpathSync(dir), 'nowhere')} of its target`);
    expect(readdirSync(dir)).toEqual(['link.json']);
  });

  test('a target replaced by a symlink after open is refused, not replaced by a file', async () => {
    const path = join(dir, 'state.json');
    writeFileSync(join(dir, 'other.json'), valid);
    const store = await JsonFileStore.open(path);
    try {
      symlinkSync('other.json', path);
      const error = await refusal(store.put('a', { sequence: 2 }));
      expect(error.message).toBe(`store ${path} is corrupt (it became a symlink after the store was opened); it was left untouched`);
    } finally {
      await store.close();
    }
    expect(readlinkSync(path)).toBe('other.json');
    expect(readFileSync(join(dir, 'other.json'), 'utf8')).toBe(valid);
    expect(basename(store.target)).toBe('state.json');
  });
});
