import { join, sep } from 'node:path';
import { packageRoot } from '../support/paths.js';

/**
 * What a save threw, in one line: its message and the place in the user's code it came from (the
 * first frame outside contend, its packages and Node), not a stack of kilobytes.
 */
export function failureWhere(error: unknown): string {
  const e = error as Error;
  const ours = [join(packageRoot, 'dist'), join(packageRoot, 'lib'), join(packageRoot, 'workers')];
  const frame = (e.stack ?? '')
    .split('\n')
    .slice(1)
    .map((l) => /\(?(?:file:\/\/)?(\/[^():]+):(\d+):\d+\)?$/.exec(l.trim()))
    .find((m) => m && !m[1]!.includes(`${sep}node_modules${sep}`) && !ours.some((dir) => m[1]!.startsWith(dir + sep)));
  return `${e.message ?? String(error)}${frame ? ` (${frame[1]}:${frame[2]})` : ''}`;
}
