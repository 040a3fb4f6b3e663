import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
// From the sources (lib/support/paths.ts, as vitest runs them) or from the build (dist/lib/support/paths.js).
export const packageRoot = here.endsWith('.ts') ? resolve(dirname(here), '../..') : resolve(dirname(here), '../../..');
