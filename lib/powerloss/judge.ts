import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { sameDocument } from '../writes/document.js';
import { pathWithin } from '../support/paths.js';
import type { CrashState } from './model.js';
import type { CrashCheck, CrashCheckContext, CrashVerdict } from './ops.js';

/** What the default check calls a bad state. */
export const DEFAULT_BAD = ['torn', 'empty', 'missing', 'acknowledged save lost'] as const;

/**
 * The default check of a target's text (undefined: no file): it must be what it was before the
 * save or after it (a missing file counts as such when there was none), and after it once the
 * save had returned.
 */
export function classify(text: string | undefined, before: string | undefined, after: string | undefined, acknowledged: boolean): (typeof DEFAULT_BAD)[number] | undefined {
  const is = (expected: string | undefined): boolean => (expected === undefined || text === undefined ? expected === text : text === expected || (text.length > 0 && sameDocument(text)(expected)));
  if (is(after)) return undefined;
  if (is(before)) return acknowledged ? 'acknowledged save lost' : undefined;
  return text === undefined ? 'missing' : text.length === 0 ? 'empty' : 'torn';
}

/** The default check, reading the target where the state was materialized. */
export const defaultCheck: CrashCheck = ({ target, before, after, acknowledged }) =>
  classify(target !== undefined && existsSync(target) ? readFileSync(target, 'utf8') : undefined, before, after, acknowledged);

/** The kind of bad state a check's verdict names, or undefined when the state is sound. */
export function badKind(verdict: CrashVerdict): string | undefined {
  if (verdict === undefined || verdict === true) return undefined;
  if (verdict === false) return 'rejected by the check';
  return String(verdict).trim() || 'rejected by the check';
}

/**
 * Writes a state's files and directories under `to`, each at its name relative to `from` (the
 * directory the save ran in), after emptying `to`. Files elsewhere are left out: a check sees only
 * what the save's directory held.
 */
export function materialize(state: CrashState, from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  for (const dir of state.dirs) {
    const rel = pathWithin(from, dir);
    if (rel !== undefined) mkdirSync(join(to, rel), { recursive: true });
  }
  for (const [path, bytes] of state.files) {
    const rel = pathWithin(from, path);
    if (rel === undefined || rel === '.') continue;
    mkdirSync(dirname(join(to, rel)), { recursive: true });
    writeFileSync(join(to, rel), bytes);
  }
}

/** One state, and what the check said of it. */
export interface JudgedState {
  state: CrashState;
  /** The save had returned before the cut. */
  acknowledged: boolean;
  /** What is wrong with it, as the check named it; undefined when it is sound. */
  bad?: string;
}

/**
 * Judges every state with the default check, in memory: what `target` holds must be `before` or
 * `after`, and `after` once the save had returned. The model's own tests use it.
 */
export function judgeStates(states: readonly CrashState[], total: number, target: string, before: string | undefined, after: string | undefined): JudgedState[] {
  return states.map((state) => {
    const acknowledged = state.after === total;
    const bad = classify(state.files.get(target)?.toString('utf8'), before, after, acknowledged);
    return { state, acknowledged, ...(bad ? { bad } : {}) };
  });
}

/**
 * A check that throws on a state (reading a file the cut removed) says the state is bad: `check
 * threw ENOENT`, by code or by name, so that one cause is one kind however many states show it.
 */
async function verdictOf(check: CrashCheck, state: CrashCheckContext): Promise<CrashVerdict> {
  try {
    return await check(state);
  } catch (error) {
    return `check threw ${(error as { code?: unknown }).code ?? (error as Error).name ?? 'a value'}`;
  }
}

/** Materializes each state under `scratch` and asks the check, one state at a time, in order. */
export async function checkStates(
  states: readonly CrashState[],
  total: number,
  { from, scratch, check, context }: { from: string; scratch: string; check: CrashCheck; context: Omit<CrashCheckContext, 'dir' | 'acknowledged'> },
): Promise<JudgedState[]> {
  const judged: JudgedState[] = [];
  const target = context.target === undefined ? undefined : join(scratch, relative(from, context.target));
  for (const state of states) {
    materialize(state, from, scratch);
    const acknowledged = state.after === total;
    const bad = badKind(await verdictOf(check, { ...context, dir: scratch, acknowledged, ...(target === undefined ? {} : { target }) }));
    judged.push({ state, acknowledged, ...(bad ? { bad } : {}) });
  }
  return judged;
}
