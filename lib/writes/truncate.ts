import { steps, writeInChunks } from './chunks.js';
import type { WriteStrategy } from './types.js';

/** The old save of the MDV JSON write stress tests: open the target for writing (truncating it), write, close. */
export const TruncateStrategy: WriteStrategy = {
  name: 'truncate',
  description: "open 'w' + write: the target is empty or partial until the last byte lands",
  async save(path, data) {
    const fd = await steps.open(path, 'w');
    try {
      await writeInChunks(fd, data);
    } finally {
      await steps.close(fd);
    }
  },
};
