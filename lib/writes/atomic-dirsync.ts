import { closeSync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { uniqueTemp, writeThenRename } from './chunks.js';
import type { WriteStrategy } from './types.js';

/** atomic, then an fsync of the directory, so the rename itself survives a power loss (the seed's variant 4). */
export const AtomicDirsyncStrategy: WriteStrategy = {
  name: 'atomic-dirsync',
  description: 'atomic + fsync of the directory after the rename',
  save(path, data) {
    writeThenRename(path, data, uniqueTemp(path), { fsync: true, flags: 'wx' });
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  },
};
