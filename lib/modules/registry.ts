import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TYPESCRIPT } from './typescript.js';

// The compiler (esbuild, hashing) is loaded when a module of TypeScript is registered or looked
// up, not by every host that only imports what the driver compiled.
const compiler = (): Promise<typeof import('./compile.js')> => import('./compile.js');
import { AdapterLoadError, InvalidOptionError } from '../errors.js';
import { oncePerKey } from '../support/memo.js';
import { missingPeers, requirePeers } from '../support/peer.js';

/**
 * How a worker finds an adapter: built-ins by name, the user's own by module and export, since
 * functions cannot be sent to a thread or a process; each worker imports the module itself.
 */
export type AdapterRef = { builtin: string } | { module: string; export: string };

export interface Registered<T> {
  adapter: T;
  /** How workers load it: a built-in's name, or the module (compiled, for TypeScript) and export. */
  ref: AdapterRef;
  /** An adapter of the user's: the module and export as registered, before any compiling. */
  source?: ModuleRef;
}

/** An adapter of the user's, by module (a path, file URL or package) and the name of its export. */
export interface ModuleRef {
  module: string;
  export: string;
}

// Threads and process hosts outlive a case: a module is imported once per thread, not per case.
const importOnce = oncePerKey((specifier) => importModule(specifier));

/**
 * How adapters of one kind are loaded from a reference, in the driver and in every worker: a
 * built-in from its own module, so a thread or process imports the one adapter its case uses (not
 * every adapter and what they import); a user's by module and export, checked.
 */
export class AdapterLoader<T extends { name: string }> {
  /**
   * @param option the option name in error messages (`lock`, `strategy`)
   * @param check turns an exported value into an adapter, or throws AdapterLoadError
   * @param beforeImport runs before a user's module is imported: what must be in place before its code loads
   * @param importBuiltin imports the module of the built-in of that name, relative to the
   *   adapters' folder (`(name) => import(\`./${name}.js\`)`): each built-in lives in a file named
   *   as it is. None: this kind has no built-ins.
   */
  constructor(
    readonly option: string,
    private readonly check: (value: unknown, where: string) => T,
    private readonly beforeImport: () => void = () => {},
    private readonly importBuiltin?: (name: string) => Promise<Record<string, unknown>>,
  ) {}

  async load(ref: AdapterRef, label?: string): Promise<T> {
    if ('builtin' in ref) return this.builtin(ref.builtin);
    const where = label ?? `${ref.module}#${ref.export}`;
    this.beforeImport();
    return this.check(await importExport(this.option, ref, where), where);
  }

  private async builtin(name: string): Promise<T> {
    const missing = (): AdapterLoadError => new AdapterLoadError(`no built-in ${this.option} adapter named ${JSON.stringify(name)}`);
    // The name picks a file: only a plain adapter name may (the driver sends only those).
    if (!this.importBuiltin || !BUILTIN_NAME.test(name)) throw missing();
    let module: Record<string, unknown>;
    try {
      module = await this.importBuiltin(name);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && (error as Error).message.includes(`/${name}.js`)) throw missing();
      throw new AdapterLoadError(`cannot load the built-in ${this.option} adapter ${name}: ${(error as Error).message}`);
    }
    const adapter = Object.values(module).find((value) => typeof value === 'object' && (value as { name?: unknown } | null)?.name === name);
    if (!adapter) throw missing();
    return adapter as T;
  }
}

const BUILTIN_NAME = /^[a-z][a-z0-9-]*$/;

/**
 * How a loader imports its built-ins, the files beside `base` (its own import.meta.url): through
 * require() where they are JavaScript, else through `load`, an import() written in that file (the
 * TypeScript sources the test runner runs). Node ≥ 20.19 loads an ES module through require()
 * synchronously, without the asynchronous loader; in a fresh thread or host, that loader's cost
 * per module is about half of what making its first lock of a kind costs.
 */
export function builtinImporter(base: string, load: (name: string) => Promise<Record<string, unknown>>): (name: string) => Promise<Record<string, unknown>> {
  if (!base.endsWith('.js')) return load;
  const require = createRequire(base);
  return async (name) => require(`./${name}.js`) as Record<string, unknown>;
}

/**
 * Adapters of one kind (locks, write strategies): the built-ins by name, and those a user
 * registers by module and export, since functions cannot be sent to a thread or a process —
 * each worker loads the module itself.
 */
export class AdapterRegistry<T extends { name: string; package?: string }> {
  private readonly user = new Map<string, Registered<T>>();

  /**
   * @param noun what one adapter is called in messages (`lock`, `write strategy`)
   * @param loader how it and every worker load an adapter from its reference
   * @param ownWay how a user names an adapter of their own, said when a name looks like a module (`./my-lock.ts#MyLock`)
   */
  constructor(
    private readonly noun: string,
    private readonly builtins: ReadonlyMap<string, T>,
    private readonly loader: AdapterLoader<T>,
    private readonly ownWay?: string,
  ) {}

  private get option(): string {
    return this.loader.option;
  }

  /** Every name: the built-ins, then those registered in this process. */
  names(): string[] {
    return [...this.builtins.keys(), ...this.user.keys()];
  }

  /** The names that can run here: those of names() whose package, if they wrap one, is installed. */
  installed(): string[] {
    const missing = new Set(missingPeers([...this.builtins.values()].flatMap((a) => (a.package ? [a.package] : []))));
    return this.names().filter((name) => !missing.has(this.builtins.get(name)?.package ?? ''));
  }

  /**
   * The adapter and the reference workers load it by, for a run: a built-in whose package (an
   * optional peer of contend's) is not installed is refused here, before any work starts, with what
   * to install. A user's adapter imported its packages when it was registered.
   */
  resolve(name: unknown): Registered<T> {
    const found = this.lookup(name);
    if ('builtin' in found.ref) requirePeers(`the ${found.adapter.name} ${this.noun}`, [found.adapter.package]);
    return found;
  }

  /** As resolve, whether its package is installed or not: for listing adapters. An unknown name lists the allowed ones. */
  lookup(name: unknown): Registered<T> {
    if (typeof name === 'string') {
      const builtin = this.builtins.get(name);
      if (builtin) return { adapter: builtin, ref: { builtin: name } };
      const user = this.user.get(name);
      if (user) return user;
    }
    const names = this.names();
    // Where nothing is registered yet (operations have no built-ins), the way to give one is all there is to say.
    if (names.length === 0) throw new InvalidOptionError(this.option, this.ownWay ?? "{ module, export } naming your own, e.g. { module: './my-adapter.ts', export: 'MyAdapter' }", name);
    const moduleLike = typeof name === 'string' && MODULE_LIKE.test(name);
    throw new InvalidOptionError(this.option, names.join(', '), name, moduleLike ? this.ownWay : undefined);
  }

  /**
   * A module is a path (relative to the working directory, as on the command line), a file URL or
   * a package name.
   * @param label how the user named the module (`./my-lock.ts#MyLock`), for messages
   * @param replace another adapter of the same name may be replaced: one given with a run, not registered
   */
  async register(ref: ModuleRef, label?: string, { replace = false } = {}): Promise<T> {
    const { module, export: name } = this.checkRef(ref, "{ module, export } naming your own adapter, e.g. { module: './my-adapter.ts', export: 'MyAdapter' }");
    label ??= `${module}#${name}`;
    // As on the command line (moduleReference): `./x`, `../x`, or a file that is there is a path.
    const path = RELATIVE.test(module) || (!isAbsolute(module) && !/^[a-z]+:/.test(module) && existsSync(resolve(module))) ? resolve(module) : module;
    const url = isAbsolute(path) ? pathToFileURL(path).href : path;
    // Said as the CLI says it, not in the words of whichever loader would have tried it.
    const file = url.startsWith('file:') ? fileURLToPath(url) : undefined;
    if (file !== undefined && !existsSync(file)) throw new AdapterLoadError(`cannot import ${this.option} adapter module ${moduleOf(label)}: there is no file ${file}`);
    // Workers get the compiled module itself: TypeScript is compiled here, once, for all of them.
    const normalised = { module: TYPESCRIPT.test(url) && url.startsWith('file:') ? await compiledOrLoadError(this.option, url, label) : url, export: name };
    const adapter = await this.load(normalised, label);
    if (this.builtins.has(adapter.name)) {
      throw new AdapterLoadError(`a ${this.option} adapter named "${adapter.name}" is built in; give yours another name`);
    }
    // The same module again is the same adapter; another registered under its name would silently
    // take its place. One given with a run (`replace`) is that run's adapter by that name.
    const earlier = this.user.get(adapter.name)?.source;
    if (!replace && earlier && (earlier.module !== url || earlier.export !== name)) {
      throw new AdapterLoadError(`a ${this.option} adapter named "${adapter.name}" is registered already, from ${earlier.module}#${earlier.export}; give yours another name`);
    }
    this.user.set(adapter.name, { adapter, ref: normalised, source: { module: url, export: name } });
    return adapter;
  }

  /**
   * The name a case uses for `value`: a name as it is, or an adapter of the user's given by module
   * and export (as a replay literal gives it), registered first so that workers can load it.
   */
  async named(value: unknown): Promise<unknown> {
    if (typeof value !== 'object' || value === null) return value;
    return (await this.register(this.checkRef(value, 'a name, or { module, export } naming your own adapter'), undefined, { replace: true })).name;
  }

  /** A reference as the library takes one: both fields strings (the CLI's MODULE#EXPORT is parsed before). */
  private checkRef(value: unknown, allowed: string): ModuleRef {
    const { module, export: name } = (typeof value === 'object' && value !== null ? value : {}) as Partial<ModuleRef>;
    if (typeof module !== 'string' || typeof name !== 'string') throw new InvalidOptionError(this.option, allowed, value);
    return { module, export: name };
  }

  unregister(name: string): boolean {
    return this.user.delete(name);
  }

  /** Loads the adapter a reference names: a built-in as registered here, a user's through the loader. */
  async load(ref: AdapterRef, label?: string): Promise<T> {
    if ('builtin' in ref) {
      const adapter = this.builtins.get(ref.builtin);
      if (!adapter) throw new InvalidOptionError(this.option, [...this.builtins.keys()].join(', '), ref.builtin);
      return adapter;
    }
    return this.loader.load(ref, label);
  }
}

/**
 * What a module exports under a name, the module imported once per process and compiled first
 * when it is TypeScript. A module that cannot be imported, or that exports nothing under the name
 * (a misspelt export: the message lists what it does export), is one AdapterLoadError.
 */
export async function importExport(option: string, ref: ModuleRef, where = `${ref.module}#${ref.export}`): Promise<unknown> {
  let module: Record<string, unknown>;
  try {
    module = await importOnce(ref.module);
  } catch (error) {
    throw cannotImport(option, where, error);
  }
  if (module[ref.export] === undefined) {
    const names = Object.keys(module).sort();
    throw new AdapterLoadError(`no export "${ref.export}" in ${option} module ${moduleOf(where)}; it exports ${names.length ? names.join(', ') : 'nothing'}`);
  }
  return module[ref.export];
}


const RELATIVE = /^\.{1,2}[\\/]/;
// A name given where a module was meant: a path, a file name, or MODULE#EXPORT as the CLI takes it.
const MODULE_LIKE = /[#/\\]|\.[cm]?[jt]sx?$/;

// A user's own `.ts` adapter needs no build step of theirs: it is compiled (see compile.ts). Its
// source map makes an error's stack name the user's file and line.
async function importModule(specifier: string): Promise<Record<string, unknown>> {
  const url = TYPESCRIPT.test(specifier) && specifier.startsWith('file:') ? await (await compiler()).compiledModule(specifier) : specifier;
  if (url.endsWith('.contend.mjs')) process.setSourceMapsEnabled(true);
  return (await import(url)) as Record<string, unknown>;
}

async function compiledOrLoadError(option: string, url: string, label: string | undefined): Promise<string> {
  try {
    return await (await compiler()).compiledModule(url);
  } catch (error) {
    throw cannotImport(option, label ?? url, error);
  }
}

/** The module part of a `MODULE#EXPORT` label, as the user wrote it. */
const moduleOf = (where: string): string => where.replace(/#[^#]*$/, '');

function cannotImport(option: string, where: string, error: unknown): AdapterLoadError {
  // One line: a compile error's own lines (file:line: message) joined.
  const why = (error as Error).message.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  return new AdapterLoadError(`cannot import ${option} adapter module ${moduleOf(where)}: ${why}`);
}

/** Collects what is wrong with an exported value, for one AdapterLoadError naming all of it. */
export function adapterProblems(value: unknown, where: string, rules: [ok: (a: Record<string, unknown>) => boolean, problem: string][]): void {
  const problems: string[] = [];
  if (!value || typeof value !== 'object') problems.push(`the export is ${value === null ? 'null' : `a ${typeof value}`}, not an object`);
  else {
    const a = value as Record<string, unknown>;
    if (typeof a.name !== 'string' || !/^[a-z][a-z0-9-]*$/.test(a.name)) problems.push('name must be a lower-case word (a-z, 0-9, -)');
    for (const [ok, problem] of rules) if (!ok(a)) problems.push(problem);
  }
  if (problems.length) throw new AdapterLoadError(`not an adapter: ${where}: ${problems.join('; ')}`);
}

/**
 * `MODULE#EXPORT` as a user types it (`--lock-module ./my-lock.ts#MyLock`): a path is relative to
 * the working directory, not to contend's own files; anything else is a package, found from the
 * working directory too, as the user's own code would find it.
 */
export async function moduleReference(option: string, spec: string | undefined, cwd = process.cwd()): Promise<{ module: string; export: string }> {
  const at = spec?.lastIndexOf('#') ?? -1;
  if (spec === undefined || at <= 0 || at === spec.length - 1) throw new InvalidOptionError(option, 'MODULE#EXPORT, e.g. ./my-adapter.ts#myAdapter', spec);
  const module = spec.slice(0, at);
  const name = spec.slice(at + 1);
  const file = resolve(cwd, module);
  // `./x`, `../x`, `/x`, or a file that is there; anything else may be a package (`big.js`).
  if (RELATIVE.test(module) || isAbsolute(module) || existsSync(file)) {
    if (!existsSync(file)) throw new AdapterLoadError(`cannot import --${option} ${module}: there is no file ${file}`);
    return { module: pathToFileURL(file).href, export: name };
  }
  const found = await (await compiler()).resolvePackage(module, cwd);
  if (!found) throw new AdapterLoadError(`cannot import --${option} ${module}: no file ${file}, and no package ${module} installed for ${cwd}`);
  return { module: found, export: name };
}
