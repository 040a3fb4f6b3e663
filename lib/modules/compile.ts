import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { OnResolveArgs, PluginBuild, ResolveResult } from 'esbuild';
import { tempDirectory } from '../support/cleanup.js';
import { oncePerKey } from '../support/memo.js';
import { TYPESCRIPT } from './typescript.js';

/**
 * A user's TypeScript adapter is compiled once, by the process that registers it, into one plain
 * ES module; every thread and process then imports that, with no loader of its own. Compiling in
 * each worker (a TypeScript loader per thread and per process, through which every further import
 * then passes) cost seconds per worker on a busy machine.
 *
 * The adapter's own local files are bundled in; packages it imports (contend itself, a lock
 * library) stay imports, by the absolute URL of the very file it would have loaded, so a worker
 * shares contend's modules and the output can live anywhere. A source map inline makes errors
 * point at the user's .ts file and line.
 */

const LOADERS: Record<string, 'ts' | 'tsx' | 'js' | 'jsx'> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.jsx': 'jsx' };

/** The URL of the compiled module for a TypeScript file URL; compiled once per process. */
export const compiledModule = oncePerKey(compile);

/** Marks esbuild's own resolution, asked for from inside a resolve hook, so the hook lets it through. */
const RESOLVING = 'contend-resolving';

/** The file esbuild finds for an import, as Node would (the build's `node` and `import` conditions). */
function resolveAsNode(b: PluginBuild, args: OnResolveArgs): Promise<ResolveResult> {
  return b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: RESOLVING });
}

let building = 0;

/**
 * Runs builds on esbuild's service process, and stops that process once no build is left: it
 * would otherwise live as long as this process, for a compile that happens once.
 */
async function withEsbuild<T>(run: (esbuild: typeof import('esbuild')) => Promise<T>): Promise<T> {
  const esbuild = await import('esbuild');
  building++;
  try {
    return await run(esbuild);
  } finally {
    if (--building === 0) await esbuild.stop();
  }
}

async function compile(fileUrl: string): Promise<string> {
  const source = fileURLToPath(fileUrl);
  const result = await withEsbuild(({ build }) => build({
    absWorkingDir: process.cwd(),
    entryPoints: [source],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    // Only what Node itself matches: esbuild's default `module` condition may pick another file.
    conditions: ['node'],
    write: false,
    outfile: join(cacheDir(), 'out.mjs'),
    sourcemap: 'inline',
    sourcesContent: false,
    logLevel: 'silent',
    plugins: [
      {
        name: 'contend-packages-by-url',
        setup(b) {
          // Packages are not bundled: they are imported by the URL of the file esbuild finds for
          // them from the adapter's own directory, which is the file Node would load.
          b.onResolve({ filter: /^[^./]/ }, async (args) => {
            if (args.pluginData === RESOLVING || args.path.startsWith('node:')) return undefined;
            const found = await resolveAsNode(b, args);
            if (found.errors.length) return { errors: found.errors };
            return { external: true, path: found.external ? args.path : pathToFileURL(found.path).href };
          });
          // import.meta of each bundled file keeps telling that file's own place.
          b.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
            const text = await readFile(args.path, 'utf8');
            const own = (value: string): string => JSON.stringify(value);
            const contents = text
              .replace(/\bimport\.meta\.url\b/g, own(pathToFileURL(args.path).href))
              .replace(/\bimport\.meta\.filename\b/g, own(args.path))
              .replace(/\bimport\.meta\.dirname\b/g, own(dirname(args.path)));
            return { contents, loader: LOADERS[extname(args.path)] ?? 'js' };
          });
        },
      },
    ],
  })).catch((error: unknown) => {
    throw new Error(compileErrors(error));
  });
  const code = result.outputFiles[0]!.text;
  const name = `${basename(source).replace(TYPESCRIPT, '')}-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.contend.mjs`;
  const file = join(cacheDir(), name);
  // Named by content: an existing file is this very module. Written aside and renamed, so a
  // process importing it meanwhile never sees half of it.
  if (!existsSync(file)) {
    const aside = `${file}.${process.pid}.tmp`;
    writeFileSync(aside, code);
    renameSync(aside, file);
  }
  return pathToFileURL(file).href;
}

let cache: string | undefined;

/**
 * Where compiled modules go: `node_modules/.cache/contend` of the project contend runs in, as other
 * tools keep theirs, since the content-named files there need no clean-up; where there is none
 * that can be written, a temporary directory removed at exit.
 */
function cacheDir(): string {
  if (cache) return cache;
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const modules = join(dir, 'node_modules');
    if (existsSync(join(dir, 'package.json')) && existsSync(modules)) {
      try {
        accessSync(modules, constants.W_OK);
        mkdirSync(join(modules, '.cache', 'contend'), { recursive: true });
        return (cache = join(modules, '.cache', 'contend'));
      } catch {
        break;
      }
    }
    if (dirname(dir) === dir) break;
  }
  return (cache = tempDirectory('contend-modules-').dir);
}

/** esbuild's errors as `/abs/file.ts:2:0: message`, one after another. */
function compileErrors(error: unknown): string {
  const errors = (error as { errors?: { text: string; location: { file: string; line: number; column: number } | null }[] }).errors;
  if (!errors?.length) return (error as Error).message;
  return errors.map((e) => (e.location ? `${resolve(e.location.file)}:${e.location.line}:${e.location.column}: ${e.text}` : e.text)).join('; ');
}

/**
 * The file URL of a package as an ES module of `fromDir` would import it (Node's `import` and
 * `node` conditions, found from that directory's node_modules), or nothing if there is none.
 */
export async function resolvePackage(specifier: string, fromDir: string): Promise<string | undefined> {
  let found: string | undefined;
  await withEsbuild(({ build }) => build({
    stdin: { contents: `import ${JSON.stringify(specifier)};`, resolveDir: fromDir },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    conditions: ['node'],
    logLevel: 'silent',
    plugins: [
      {
        name: 'contend-find-package',
        setup(b) {
          b.onResolve({ filter: /.*/ }, async (args) => {
            if (args.pluginData === RESOLVING || args.importer !== '<stdin>') return undefined;
            const result = await resolveAsNode(b, args);
            if (!result.errors.length && !result.external) found = result.path;
            return { path: args.path, external: true };
          });
        },
      },
    ],
  })).catch(() => undefined);
  return found === undefined ? undefined : pathToFileURL(found).href;
}
