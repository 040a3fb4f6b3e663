import { closeSync, openSync } from 'node:fs';
import { writeInChunks } from './chunks.js';
import type { WriteStrategy } from './types.js';

/** The seed's old save: open the target for writing (truncating it), write, close. */
export const TruncateStrategy: WriteStrategy = {
  name: 'truncate',
  description: "open 'w' + write: the target is empty or partial until the last byte lands",
  save(path, data) {
    const fd = openSync(path, 'w');
    try {
      writeInChunks(fd, data);
    } finally {
      closeSync(fd);
    }
  },
};
