import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
// From the sources (lib/support/paths.ts, as vitest runs them) or from the build (dist/lib/support/paths.js).
export const packageRoot = here.endsWith('.ts') ? resolve(dirname(here), '../..') : resolve(dirname(here), '../../..');

/** The version of contend that runs, from its package.json. */
export function contendVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/** `path` relative to `dir` (`.` for `dir` itself), or undefined when it lies outside. */
export function pathWithin(dir: string, path: string): string | undefined {
  const rel = relative(dir, resolve(path));
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel || '.';
}
