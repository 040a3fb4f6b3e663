import { readFileSync, writeFileSync } from 'node:fs';
import { createLock, lockRegistry, standaloneContext } from '../locks/registry.js';

/** A counter file that also keeps the highest fencing token a write came with. */
interface FencedDoc {
  count: number;
  fence?: string;
}

/** What a fenced write did: saved, or refused because the store had seen a greater token. */
export type FencedWrite = { saved: true } | { saved: false; seen: bigint };

/**
 * The store's side of fencing: saves `count` only if `token` is not below the greatest token any
 * write brought before, and keeps the greater. The check and the save are one step for the store
 * (a flock of its own serializes them, as a database serializes its rows' updates): a check
 * apart from its write would let a stale write slip in between.
 */
export async function fencedWrite(path: string, count: number, token: bigint): Promise<FencedWrite> {
  const store = await createLock(lockRegistry.resolve('flock').adapter, standaloneContext({ worker: 0, kind: 'process', lockPath: `${path}.store`, signal: new AbortController().signal }));
  try {
    await store.acquire();
    const doc = JSON.parse(readFileSync(path, 'utf8')) as FencedDoc;
    const seen = BigInt(doc.fence ?? '0');
    if (token < seen) return { saved: false, seen };
    writeFileSync(path, JSON.stringify({ count, fence: String(token) } satisfies FencedDoc));
    return { saved: true };
  } finally {
    await store.release();
    await store.close?.();
  }
}
