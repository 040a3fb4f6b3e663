import { AdapterLoader, AdapterRegistry, adapterProblems } from '../modules/registry.js';
import { installFsCalls } from '../support/fs-calls.js';

/** What your save and its setup are given. */
export interface SaveContext {
  /** A fresh directory of the run's own: the save's calls on files in it are recorded. */
  dir: string;
}

/** What a check is given for one state a power cut can leave. */
export interface CrashCheckContext {
  /**
   * A directory holding the state: each file as the cut left it, at the same name relative to
   * this directory as it had relative to the save's.
   */
  dir: string;
  /** The cut came after the save had returned: what it wrote must be there. */
  acknowledged: boolean;
  /** The file the save replaces, in `dir`, when the writer names one (a strategy's, your `target`). */
  target?: string;
  /** The target's text before the save and once it had run (undefined: there was no such file). */
  before?: string;
  after?: string;
}

/**
 * What a check says of a state: `true` (or nothing) when it is sound; otherwise what is wrong, in
 * a few words (`count went back`), which names the kind of bad state in the report; `false` is
 * reported as `rejected by the check`.
 */
export type CrashVerdict = boolean | string | undefined | void;

/** Judges one crash state; it runs in the process that called `runPowerloss` (or the CLI). */
export type CrashCheck = (state: CrashCheckContext) => CrashVerdict | Promise<CrashVerdict>;

/**
 * A save of your own to put through every power cut: `setup` makes the state before it, `save`
 * is recorded (its fs calls on files in `ctx.dir`), and each state a cut can leave is judged by
 * `check`, or by default: `target` parses and holds what it held before or after the save, and
 * after it once the save had returned.
 */
export interface PowerlossOps {
  /** How reports name it; defaults to the export's name. */
  name: string;
  description?: string;
  /** Claims that a save that returned survives a power cut: a bad state then fails the run (exit 1). */
  durable?: boolean;
  /** The file the default check judges, relative to `ctx.dir`. */
  target?: string;
  /** Makes the state before the save, in `ctx.dir` (not recorded). */
  setup?(ctx: SaveContext): unknown;
  /** The save. It runs once, where the run's `kind` says (this thread, a worker_thread, a child). */
  save(ctx: SaveContext): unknown;
  /** Replaces the default check. */
  check?: CrashCheck;
}

function checkOps(value: unknown, where: string): PowerlossOps {
  // The name may be left out (the export's name is used): only a name that is given is checked.
  const named = value && typeof value === 'object' && !('name' in value) ? { ...value, name: 'ops' } : value;
  adapterProblems(named, where, [
    [(o) => typeof o.save === 'function', 'save(ctx) must be a function'],
    [(o) => o.setup === undefined || typeof o.setup === 'function', 'setup, when given, must be a function'],
    [(o) => o.check === undefined || typeof o.check === 'function', 'check, when given, must be a function'],
    [(o) => o.target === undefined || (typeof o.target === 'string' && o.target.length > 0 && !o.target.startsWith('/')), 'target, when given, must be a file name relative to ctx.dir'],
    [(o) => typeof o.target === 'string' || typeof o.check === 'function', 'give a target (for the default check) or a check of your own'],
    [(o) => o.durable === undefined || typeof o.durable === 'boolean', 'durable, when given, must be true or false'],
  ]);
  const ops = value as Partial<PowerlossOps>;
  return { ...(ops as PowerlossOps), name: typeof ops.name === 'string' ? ops.name : where.replace(/^.*#/, '') };
}

/**
 * Your operations, registered by module and export so that a worker_thread or a child process can
 * load them; fs is routed before the module loads, so a library that keeps fs's functions when it
 * loads keeps the recorded ones.
 */
export const powerlossOpsRegistry = new AdapterRegistry<PowerlossOps>('power-loss operations', new Map(), new AdapterLoader('ops', checkOps, installFsCalls), "operations of your own as { module: './save.ts', export: 'save' }, or their name once registered");
