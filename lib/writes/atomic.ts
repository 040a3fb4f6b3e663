import { uniqueTemp, writeThenRename } from './chunks.js';
import type { WriteStrategy } from './types.js';

/** Temp file in the same directory, fsync, rename over the target (variant 1 of the MDV JSON write stress tests). */
export const AtomicStrategy: WriteStrategy = {
  name: 'atomic',
  description: 'temp file in the same directory + fsync + rename',
  async save(path, data) {
    await writeThenRename(path, data, uniqueTemp(path), { fsync: true, flags: 'wx' });
  },
};
