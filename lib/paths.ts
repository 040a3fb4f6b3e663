import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContendError } from './errors.js';
import type { HostName } from './kinds/hosts.js';

const here = fileURLToPath(import.meta.url);
// From the sources (lib/paths.ts, as vitest runs them) or from the build (dist/lib/paths.js).
export const packageRoot = here.endsWith('.ts') ? resolve(dirname(here), '..') : resolve(dirname(here), '../..');

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
