import { importWriter } from './library.js';
import type { WriteStrategy } from './types.js';

/** npm's write-file-atomic, called as applications call it. */
export const WriteFileAtomicStrategy: WriteStrategy = {
  name: 'write-file-atomic',
  description: 'npm write-file-atomic: unique temp + fsync + rename',
  package: 'write-file-atomic',
  async save(path, data) {
    const { default: writeFileAtomic } = await importWriter('write-file-atomic', () => import('write-file-atomic'));
    await writeFileAtomic(path, data);
  },
};
