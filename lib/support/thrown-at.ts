import { findSourceMap } from 'node:module';
import { isAbsolute, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packageRoot, pathWithin } from './paths.js';

// contend's own code, as built and as run from its sources: frames there are not where a thrown
// error of an adapter's comes from.
const OWN_CODE = ['dist', 'lib', 'schedules', 'workers'].map((dir) => `${packageRoot}${sep}${dir}${sep}`);

/**
 * Where an error was thrown, as the first frame of its stack outside Node, contend and the
 * libraries in node_modules: the user's file and line (a `.ts` module's own, through its source
 * map), relative to the working directory when it is below it. Fault reports and failed saves
 * both say it.
 */
export function thrownAt(stack: string | undefined): string | undefined {
  // Frames only: a message may span lines, and name paths of its own.
  for (const text of stack?.split('\n') ?? []) {
    const frame = /^\s+at (?:.*?\()?(.+?):(\d+):(\d+)\)?$/.exec(text);
    if (!frame) continue;
    let file = frame[1]!.startsWith('file:') ? fileURLToPath(frame[1]!) : frame[1]!;
    // `node:internal/…`, `<anonymous>`, `evalmachine`: no file of the user's.
    if (!isAbsolute(file) || OWN_CODE.some((dir) => file.startsWith(dir))) continue;
    // A library's frame (piscina's, or one the adapter calls) says less than the adapter's own.
    if (file.includes(`${sep}node_modules${sep}`) && !file.endsWith('.contend.mjs')) continue;
    let [line, column] = [Number(frame[2]), Number(frame[3])];
    // A `.ts` adapter's compiled file, where a test runner's own stack formatting left it unmapped:
    // its source map, which Node keeps once a module is loaded with source maps on, says where.
    if (file.endsWith('.contend.mjs')) {
      const entry = findSourceMap(pathToFileURL(file).href)?.findEntry(line - 1, column - 1);
      if (entry && 'originalSource' in entry) {
        file = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : entry.originalSource;
        [line, column] = [entry.originalLine + 1, entry.originalColumn + 1];
      }
    }
    return `${pathWithin(process.cwd(), file) ?? file}:${line}:${column}`;
  }
  return undefined;
}
