import { writeThenRename } from './chunks.js';
import type { WriteStrategy } from './types.js';

/**
 * Rename-based, but every writer uses the same temp name `<target>.tmp` and does not fsync, as
 * several popular writers do: two writers at once write into one temp file, and the second
 * rename finds none.
 */
export const FixedTempStrategy: WriteStrategy = {
  name: 'fixed-temp',
  description: 'one shared temp name <target>.tmp + rename, no fsync',
  async save(path, data) {
    await writeThenRename(path, data, `${path}.tmp`, { fsync: false, flags: 'w' });
  },
};
