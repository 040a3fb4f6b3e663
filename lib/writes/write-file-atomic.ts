import writeFileAtomic from 'write-file-atomic';
import type { WriteStrategy } from './types.js';

/** npm's write-file-atomic, called as applications call it. */
export const WriteFileAtomicStrategy: WriteStrategy = {
  name: 'write-file-atomic',
  description: 'npm write-file-atomic: unique temp + fsync + rename',
  package: 'write-file-atomic',
  save: (path, data) => writeFileAtomic(path, data),
};
