import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ContendError } from '../errors.js';
import { packageRoot } from '../support/paths.js';
import type { HostName } from './messages.js';

/**
 * The compiled entry of a worker host. Threads and processes always run the build, never the
 * sources through a loader: a loader would cost every process a few hundred ms to start.
 */
export function hostEntry(name: HostName): string {
  const file = join(packageRoot, 'dist', 'workers', `${name}.js`);
  if (!existsSync(file)) {
    throw new ContendError('E_NOT_BUILT', `${file} is missing: run \`npm run build\` (npm install and npm test do it)`);
  }
  return file;
}
