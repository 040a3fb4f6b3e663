import { importWriter } from './library.js';
import type { WriteStrategy } from './types.js';

/**
 * steno (lowdb's writer): writes `.<name>.tmp` beside the target and renames it, no fsync. One
 * Writer queues the saves of one process; processes and separate Writers share the temp name.
 */
export const StenoStrategy: WriteStrategy = {
  name: 'steno',
  description: 'steno (lowdb): fixed temp .<name>.tmp + rename, no fsync',
  package: 'steno',
  async save(path, data) {
    const { Writer } = await importWriter('steno', () => import('steno'));
    await new Writer(path).write(data);
  },
};
