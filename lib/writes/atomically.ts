import { importWriter } from './library.js';
import type { WriteStrategy } from './types.js';

/** atomically: unique temp + fsync + rename, with retries on busy errors. */
export const AtomicallyStrategy: WriteStrategy = {
  name: 'atomically',
  description: 'atomically (used by conf): unique temp + fsync + rename, retried on EBUSY/EMFILE',
  package: 'atomically',
  async save(path, data) {
    const { writeFile } = await importWriter('atomically', () => import('atomically'));
    await writeFile(path, data);
  },
};
