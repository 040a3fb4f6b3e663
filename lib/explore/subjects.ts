import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LockAdapter, LockContext, WorkerKind } from '../locks/types.js';
import { ContendError } from '../errors.js';
import { createLock, loadAdapter } from '../locks/load.js';
import { loadWriteStrategy } from '../writes/load.js';
import type { WriteStrategy } from '../writes/types.js';
import { AdapterLoader, AdapterRegistry, adapterProblems } from '../modules/registry.js';
import { classifyRead, formatVector } from '../case/outcome.js';
import { installExploreCalls, offRecord, stopAt, type ActorState } from './gate.js';
import type { SubjectSpec } from './protocol.js';

/** What every actor of an exploration, and its setup and check, are told. */
export interface ExploreContext {
  /** This actor's number, from 1. */
  worker: number;
  workers: number;
  kind: WorkerKind;
  /** A directory of the exploration's own, emptied and set up again before every schedule. */
  dir: string;
  /** The JSON file the built-in subjects contend for: `state.json` in `dir`. */
  file: string;
}

/** What an actor of your operations is given: the context, and the lock explore was given. */
export interface OpsActorContext extends ExploreContext {
  /**
   * Runs `body` holding the lock the exploration was given (`lock` with `ops`): its tryAcquire,
   * its waits and its release are points, as in the lock subject. Without a lock it throws.
   */
  withLock<T>(body: () => Promise<T>): Promise<T>;
}

/** What `check` is given once every actor has ended. */
export interface CheckContext extends Omit<ExploreContext, 'worker'> {
  /** What each actor's body returned, in worker order. */
  results: unknown[];
  /** The most actors that held their lock at one time (lock subjects; 0 elsewhere). */
  overlap: number;
}

/** How an outcome is graded, as jcstress grades them. */
export type Grade = 'acceptable' | 'interesting' | 'forbidden';

/**
 * Operations of your own to explore: every actor runs `actor` (each fs call it makes is a point
 * where the explorer chooses who moves next), then `check` names the outcome of the schedule.
 */
export interface ExploreOps {
  /** How reports name these operations; defaults to the export's name. */
  name: string;
  description?: string;
  /** Makes the starting state in `ctx.dir`, before every schedule. */
  setup?(ctx: Omit<ExploreContext, 'worker'>): void | Promise<void>;
  /** One actor's work. What it returns reaches `check` (plain data: it may cross a process). */
  actor(ctx: OpsActorContext): unknown;
  /**
   * The schedule's outcome: `true` (acceptable) or `false` (forbidden), or a name graded by
   * `outcomes`. An actor that throws makes the outcome `threw <code>`, which is forbidden.
   */
  check(ctx: CheckContext): boolean | string | Promise<boolean | string>;
  /** Grades of the names `check` returns; a name in none of the lists is forbidden. Without it, every name is acceptable. */
  outcomes?: { acceptable?: readonly string[]; interesting?: readonly string[]; forbidden?: readonly string[] };
}

function checkOps(value: unknown, where: string): ExploreOps {
  adapterProblems(value, where, [
    [(o) => typeof o.actor === 'function', 'actor(ctx) must be a function'],
    [(o) => typeof o.check === 'function', 'check(ctx) must be a function'],
    [(o) => o.setup === undefined || typeof o.setup === 'function', 'setup, when given, must be a function'],
  ]);
  const ops = value as Partial<ExploreOps>;
  return { ...(ops as ExploreOps), name: typeof ops.name === 'string' ? ops.name : where.replace(/^.*#/, '') };
}

/** The user's operations, registered by module and export for every thread and process to load. */
export const opsRegistry = new AdapterRegistry<ExploreOps>('operations', new Map(), new AdapterLoader('ops', checkOps, installExploreCalls), "operations of your own as { module: './ops.ts', export: 'increment' }, or their name once registered");

/** An actor's own memory and objects, for the lock subject's in-memory locks. */
export interface ActorMemory {
  shared: Int32Array;
  local: Map<string, unknown>;
  signal: AbortSignal;
}

/** A subject, loaded: what runs in every actor, and how a schedule's end is named and graded. */
export interface LoadedSubject {
  name: string;
  setup(ctx: Omit<ExploreContext, 'worker'>): Promise<void>;
  actor(ctx: ExploreContext, state: ActorState, memory: ActorMemory): Promise<unknown>;
  check(ctx: CheckContext): Promise<string>;
  grade(outcome: string): Grade;
  /** What the explorer cannot see of it (a lock in a native addon). */
  unseen?: string;
}

// Lock libraries whose locking is a native call, which no fs hook sees.
const NATIVE_LOCKS = new Set(['fs-native-extensions', 'fs-ext', 'os-lock']);

const CONTENTION = new Set(['ENOENT', 'EEXIST', 'EBUSY', 'ENOTEMPTY']);

/** Writes the document a worker saves, and the one every schedule starts from (worker 0). */
const documentOf = (worker: number): string => JSON.stringify({ worker });

async function initialDocument(ctx: Omit<ExploreContext, 'worker'>): Promise<void> {
  writeFileSync(ctx.file, documentOf(0));
}

// A save that fails as contention makes saves fail is the strategy's outcome, not a fault.
// The read is one point either way; a thread or process reads synchronously, which spares it a
// round trip through libuv's pool (an async actor must await, or it could not be interleaved).
async function saveAndRead(strategy: WriteStrategy, ctx: ExploreContext, blocks: boolean): Promise<string> {
  const content = documentOf(ctx.worker);
  try {
    await strategy.save(ctx.file, content);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (CONTENTION.has(code)) return `save failed ${code}`;
    throw error;
  }
  let text: string | undefined;
  try {
    text = blocks ? readFileSync(ctx.file, 'utf8') : await readFile(ctx.file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return classifyRead(text, content).outcome;
}

/** Loads what `spec` names, in the explorer or in an actor host. */
export async function loadSubject(spec: SubjectSpec, kind: WorkerKind): Promise<LoadedSubject> {
  installExploreCalls();
  if (spec.type === 'ops') {
    const ops = await opsRegistry.load(spec.ops);
    const adapter = spec.lock ? await loadAdapter(spec.lock) : undefined;
    return {
      name: adapter ? `${ops.name} under ${adapter.name}` : ops.name,
      setup: async (ctx) => void (await ops.setup?.(ctx)),
      actor: async (ctx, state, memory) =>
        ops.actor({
          ...ctx,
          withLock: (body) => {
            if (!adapter) throw new ContendError('E_NO_LOCK', 'withLock() needs a lock: give explore one (--lock NAME, or lock: in the options) along with the operations');
            return withLock(adapter, spec.lockOptions ?? {}, ctx, state, memory, body);
          },
        }),
      async check(ctx) {
        const said = await ops.check(ctx);
        return typeof said === 'boolean' ? (said ? 'ok' : 'violation') : String(said);
      },
      grade(outcome) {
        if (outcome === 'ok') return 'acceptable';
        if (outcome === 'violation' || outcome.startsWith('threw ')) return 'forbidden';
        if (!ops.outcomes) return 'acceptable';
        if (ops.outcomes.acceptable?.includes(outcome)) return 'acceptable';
        if (ops.outcomes.interesting?.includes(outcome)) return 'interesting';
        return 'forbidden';
      },
    };
  }
  const strategy = await loadWriteStrategy(spec.write);
  if (spec.type === 'strategy') {
    return {
      name: strategy.name,
      setup: initialDocument,
      actor: (ctx, state) => saveAndRead(strategy, ctx, state.holder.blocks),
      check: async (ctx) => formatVector(ctx.results.map(String)),
      // Each read found a whole document (its own or another's), or something no reader should see.
      grade: (outcome) => (/torn|missing|save failed/.test(outcome) ? 'forbidden' : 'acceptable'),
    };
  }
  const adapter = await loadAdapter(spec.lock);
  return {
    name: adapter.name,
    setup: initialDocument,
    actor: (ctx, state, memory) =>
      withLock(adapter, spec.lockOptions, ctx, state, memory, () => saveAndRead(strategy, ctx, state.holder.blocks)),
    check: async (ctx) => `${formatVector(ctx.results.map(String))}${ctx.overlap > 1 ? ` ${ctx.overlap} held at once` : ''}`,
    grade(outcome) {
      const clean = !outcome.includes('held at once') && /^\[intact( ×\d+)?\]$/.test(outcome);
      if (clean) return 'acceptable';
      return adapter.excludes[kind] ? 'forbidden' : 'interesting';
    },
    ...(adapter.package && NATIVE_LOCKS.has(adapter.package) ? { unseen: `${adapter.package} locks in a native call: only the fs calls around it are points` } : {}),
    ...(adapter.server ? { unseen: `${adapter.name} locks on its ${adapter.server} server: its entry and exit are points, the server's calls in between are not` } : {}),
  };
}

/**
 * Runs `body` holding a fresh instance of the lock, taken as the explorer sees locks: `lock.try`
 * is a point, a failed tryAcquire waits (not enabled) until another actor has released, and
 * `lock.release` is a point before the release. The instance is closed after, also when the
 * schedule is abandoned midway (then unseen, so nothing it holds outlives the schedule).
 */
async function withLock<T>(adapter: LockAdapter, options: Record<string, unknown>, ctx: ExploreContext, state: ActorState, memory: ActorMemory, body: () => Promise<T>): Promise<T> {
  const lockCtx: LockContext = {
    worker: ctx.worker,
    kind: ctx.kind,
    lockPath: join(ctx.dir, 'lock'),
    shared: memory.shared,
    signal: memory.signal,
    local<L>(key: string, make: () => L): L {
      if (!memory.local.has(key)) memory.local.set(key, make());
      return memory.local.get(key) as L;
    },
  };
  const lock = await inLock(state, () => createLock(adapter, lockCtx, options));
  let closed = false;
  try {
    for (let failed = false; ; failed = true) {
      await stopAt(state, { op: 'lock.try', detail: '', reads: [], writes: ['lock'], ...(failed ? { waits: true as const } : {}) });
      if (await inLock(state, () => lock.tryAcquire())) break;
    }
    state.holds = true;
    const result = await body();
    await stopAt(state, { op: 'lock.release', detail: '', reads: [], writes: ['lock'] });
    // Past this point it is letting go: what its release does next happens as nobody's holder.
    state.holds = false;
    await inLock(state, () => lock.release());
    state.releases++;
    closed = true;
    await inLock(state, () => lock.close?.());
    return result;
  } finally {
    if (!closed) {
      await offRecord(state, async () => {
        await lock.release();
        await lock.close?.();
      }).catch(() => {});
    }
  }
}

async function inLock<T>(state: ActorState, call: () => T | Promise<T>): Promise<T> {
  state.inLock = true;
  try {
    return await call();
  } finally {
    state.inLock = false;
  }
}
