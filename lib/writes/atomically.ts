import { importPeer } from '../support/peer.js';
import type { WriteStrategy } from './types.js';

/** atomically: unique temp + fsync + rename, with retries on busy errors. */
export const AtomicallyStrategy: WriteStrategy = {
  name: 'atomically',
  description: 'atomically (used by conf): unique temp + fsync + rename, retried on EBUSY/EMFILE',
  package: 'atomically',
  async save(path, data) {
    // Loaded on first use, after the step trace is in place: stubborn-fs keeps the fs functions it
    // finds when it loads.
    const { writeFile } = await importPeer('atomically', 'the atomically write strategy', () => import('atomically'));
    await writeFile(path, data);
  },
};
