import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import seedrandom from 'seedrandom';
import { lockRegistry } from '../locks/registry.js';
import { ownFileCode } from '../locks/index.js';
import { launch, type LaunchedHost } from '../hosts/launch.js';
import type { AdapterRef } from '../locks/types.js';
import { validateSeed } from '../../schedules/generate.js';
import { integerIn, MAX_TIMER_MS, onlyKnown, optionNames } from '../support/check.js';
import { ContendError } from '../errors.js';
import { CorruptStoreError, readStore } from '../store/json-file-store.js';
import { writeRegistry } from '../writes/index.js';
import { withWorkspace } from '../support/workspace.js';
import type { WriterOrder } from './protocol.js';

export interface FuzzOptions {
  children?: number;
  /** Waves per cycle: the first from sequence 0, each later one from 0 again (default 2). */
  waves?: number;
  lock?: string;
  write?: string;
  /** How long to wait for a first journal entry before calling the wave stuck, ms (default 20 s). */
  firstWriteTimeoutMs?: number;
  /** How long to let the children run once one has made progress, ms (default 200). */
  observeMs?: number;
  onWave?: (wave: WaveReport) => void;
  /** Repeat the waves this many times, each wave killed after a seeded random delay (a soak). */
  cycles?: number;
  seed?: number;
  /** Fault injection, to prove the guards: this child exits on its own after this many puts (0: before its first). */
  quitter?: { child: number; after: number };
}

export interface Violation {
  kind: 'lost-update' | 'backwards' | 'unparseable';
  /** Seen by the monitor while the children ran, rather than after the kill. */
  live?: boolean;
  wave: number;
  child?: number;
  key?: string;
  journaled?: number;
  stored?: number;
  previous?: number;
  detail: string;
}

export interface WaveReport {
  wave: number;
  /** Wall time of the wave, ms: the children's start, their run, the kill and the checks. */
  ms: number;
  /** Acknowledged puts per child (journal lines). */
  puts: number[];
  violations: Violation[];
}

export interface FuzzReport {
  lock: string;
  write: string;
  children: number;
  /** Acknowledged puts, and children SIGKILLed, over the whole run. */
  puts: number;
  kills: number;
  waves: WaveReport[];
  violations: Violation[];
  ok: boolean;
}

/** A wave that cannot prove anything: a child died before the kill, or nobody made progress. */
export class VacuousWaveError extends ContendError {
  constructor(message: string) {
    super('E_VACUOUS_WAVE', message);
  }
}

export const keyForChild = (child: number): string => `child-${child}`;

/**
 * aviso's kill-during-write fuzz: children loop puts on their own keys and journal each acknowledged sequence;
 * the parent waits for progress, lets them run, SIGKILLs them all, and checks that the store parses
 * and holds at least every journaled sequence; later waves start from 0 again and must not move any
 * key backwards.
 */
const FUZZ_OPTIONS = optionNames<FuzzOptions>({
  children: true, waves: true, lock: true, write: true, firstWriteTimeoutMs: true, observeMs: true, onWave: true, cycles: true, seed: true, quitter: true,
});

export async function runFuzz(options: FuzzOptions = {}): Promise<FuzzReport> {
  onlyKnown('fuzz option', options, FUZZ_OPTIONS);
  const children = integerIn('children', options.children ?? 4, 1, 64);
  const waves = integerIn('waves', options.waves ?? 2, 1, 10_000);
  const cycles = integerIn('cycles', options.cycles ?? 1, 1, 1_000_000);
  if (options.seed !== undefined) validateSeed(options.seed);
  const { adapter: lockAdapter, ref: lockRef } = lockRegistry.resolve(options.lock ?? 'flock');
  const { adapter: writeAdapter, ref: writeRef } = writeRegistry.resolve(options.write ?? 'atomic');
  const lock = lockAdapter.name;
  const write = writeAdapter.name;
  const observeMs = integerIn('observeMs', options.observeMs ?? 200, 1, 3_600_000);
  const firstWriteTimeoutMs = integerIn('firstWriteTimeoutMs', options.firstWriteTimeoutMs ?? 20_000, 1, MAX_TIMER_MS);
  const rng = seedrandom(String(options.seed ?? 1));
  return withWorkspace('contend-fuzz-', async ({ dir }) => {
    const state = join(dir, 'state.json');
    const report: FuzzReport = { lock, write, children, puts: 0, kills: 0, waves: [], violations: [], ok: true };
    let previous: Record<string, number> = {};
    for (let wave = 1; wave <= waves * cycles; wave++) {
      const journals = Array.from({ length: children }, (_, i) => join(dir, `child-${i + 1}-wave-${wave}.journal`));
      const started = performance.now();
      const run = await runWave(state, journals, wave, {
        lock: lockRef,
        write: writeRef,
        firstWriteTimeoutMs,
        // The first cycle keeps aviso's fixed window; a soak draws each kill's moment from the random seed.
        observeMs: wave <= waves ? observeMs : Math.round(observeMs * (0.25 + 1.75 * rng())),
        ...(options.quitter ? { quitter: options.quitter } : {}),
      });
      const vacuous = run.vacuous;
      const puts = journals.map((j) => journalOf(j).length);
      report.puts += puts.reduce((a, b) => a + b, 0);
      report.kills += children;
      const violations: Violation[] = [...run.live];
      let stored: Record<string, number> = {};
      try {
        const keys = (await readStore(state)).keys;
        stored = Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, v.sequence]));
      } catch (error) {
        if (!(error instanceof CorruptStoreError)) throw error;
        violations.push({ kind: 'unparseable', wave, detail: error.message });
      }
      // A wave that proves nothing fails the run, unless what stopped it is the store's own corruption.
      if (vacuous && !violations.some((v) => v.kind === 'unparseable')) throw new VacuousWaveError(vacuous);
      if (!violations.some((v) => v.kind === 'unparseable' && !v.live)) {
        violations.push(...lostUpdates(stored, journals.map(journalOf), wave, false));
        for (const [key, before] of Object.entries(previous)) {
          const now = stored[key];
          if (now === undefined || now < before) {
            violations.push({ kind: 'backwards', wave, key, previous: before, ...(now !== undefined ? { stored: now } : {}), detail: `${key}: stored ${now ?? 'nothing'} after wave ${wave - 1} had ${before}` });
          }
        }
        previous = stored;
      }
      const waveReport = { wave, ms: performance.now() - started, puts, violations };
      report.waves.push(waveReport);
      report.violations.push(...violations);
      options.onWave?.(waveReport);
      if (violations.some((v) => v.kind === 'unparseable')) break;
    }
    report.ok = report.violations.length === 0;
    return report;
  });
}

/** Every child whose journal has a sequence the store does not hold. */
function lostUpdates(stored: Record<string, number>, journals: number[][], wave: number, live: boolean): Violation[] {
  const found: Violation[] = [];
  journals.forEach((entries, i) => {
    if (!entries.length) return;
    const key = keyForChild(i + 1);
    const journaled = Math.max(...entries);
    const have = stored[key];
    if (have === undefined || have < journaled) {
      const detail = `child ${i + 1}: stored ${have ?? 'nothing'} < journaled ${journaled}${live ? ' (seen while it ran)' : ''}`;
      found.push({ kind: 'lost-update', wave, child: i + 1, key, journaled, ...(have !== undefined ? { stored: have } : {}), ...(live ? { live } : {}), detail });
    }
  });
  return found;
}

/**
 * Reads the store while the children run, as a reader without the lock would: it must parse every
 * time, and hold every sequence already journaled (journals are read first, and a child journals
 * only after its put is stored). The first violation of each kind is kept.
 */
async function monitor(state: string, journals: string[], wave: number, stop: AbortSignal): Promise<Violation[]> {
  const seen = new Map<string, Violation>();
  while (!stop.aborted && seen.size < 2) {
    const journaled = journals.map(journalOf);
    try {
      const keys = (await readStore(state)).keys;
      const stored = Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, v.sequence]));
      const [lost] = lostUpdates(stored, journaled, wave, true);
      if (lost && !seen.has('lost-update')) seen.set('lost-update', lost);
    } catch (error) {
      if (!(error instanceof CorruptStoreError)) throw error;
      if (!seen.has('unparseable')) seen.set('unparseable', { kind: 'unparseable', wave, live: true, detail: `${error.message} (seen while the children ran)` });
    }
    await sleep(2);
  }
  return [...seen.values()];
}

interface WaveSettings {
  lock: AdapterRef;
  write: AdapterRef;
  firstWriteTimeoutMs: number;
  observeMs: number;
  quitter?: { child: number; after: number };
}

/** Runs one wave to its SIGKILL; returns what the monitor saw, and why the wave proves nothing, if it does not. */
async function runWave(state: string, journals: string[], wave: number, settings: WaveSettings): Promise<{ live: Violation[]; vacuous?: string }> {
  const stopMonitor = new AbortController();
  // Handled from the start: a read error must not surface as an unhandled rejection meanwhile.
  let monitorError: unknown;
  const watching = monitor(state, journals, wave, stopMonitor.signal).catch((error: unknown) => {
    monitorError = error;
    return [] as Violation[];
  });
  try {
    const vacuous = await driveWave(state, journals, settings);
    stopMonitor.abort();
    const live = await watching;
    if (monitorError) throw monitorError;
    return { live, ...(vacuous ? { vacuous } : {}) };
  } finally {
    stopMonitor.abort();
    await watching.catch(() => {});
  }
}

async function driveWave(state: string, journals: string[], settings: WaveSettings): Promise<string | undefined> {
  const running: { writer: LaunchedHost<'fuzz-writer'>; status?: string }[] = journals.map((journal, i) => {
    const writer = launch('fuzz-writer', { keepStderr: 2_000, filesOnly: ownFileCode(settings) });
    const record: { writer: LaunchedHost<'fuzz-writer'>; status?: string } = { writer };
    void writer.exited.then((how) => void (record.status = how));
    const order: WriterOrder = {
      state,
      journal,
      key: keyForChild(i + 1),
      start: 0,
      lock: settings.lock,
      write: settings.write,
      ...(settings.quitter?.child === i + 1 ? { quitAfter: settings.quitter.after } : {}),
    };
    // If it could not be started, its status says so.
    writer.send(order);
    return record;
  });
  const killAll = async (): Promise<void> => {
    await Promise.all(running.map((r) => r.writer.kill()));
  };
  // A child that ended before the kill leaves a journal that proves nothing: fail loudly. Told
  // apart by how each ended, not by when its end was noticed: on a busy machine the kill can
  // come before the news of an exit.
  const endedEarly = (): string | undefined => {
    const early = running.flatMap((r, i) => (r.status === undefined || r.writer.signal === 'SIGKILL' ? [] : [`child ${i + 1} ended before the kill: ${r.status}`]));
    return early.length ? early.join('\n') : undefined;
  };
  let vacuous: string | undefined;
  try {
    vacuous = await watchWave(journals, settings, endedEarly);
  } finally {
    await killAll();
  }
  return vacuous ?? endedEarly();
}

/** Waits out a wave's window; says why it proves nothing, if it comes to that before the kill. */
async function watchWave(journals: string[], settings: WaveSettings, endedEarly: () => string | undefined): Promise<string | undefined> {
  const started = performance.now();
  let progressAt: number | undefined;
  let allAt: number | undefined;
  for (;;) {
    await sleep(25);
    const early = endedEarly();
    if (early) return early;
    const progressed = journals.filter((j) => journalOf(j).length > 0).length;
    const now = performance.now();
    if (progressAt === undefined && progressed > 0) progressAt = now;
    if (allAt === undefined && progressed === journals.length) allAt = now;
    // The window runs once every child is under way, so they all contend; a lock that starves
    // some children (flock is not fair) ends it anyway, five windows after the first put.
    if (allAt !== undefined && now - allAt >= settings.observeMs) break;
    if (progressAt !== undefined && now - progressAt >= 5 * settings.observeMs) break;
    if (progressAt === undefined && performance.now() - started > settings.firstWriteTimeoutMs) {
      return `no child journaled a put within ${settings.firstWriteTimeoutMs} ms: the store or its lock starves every child`;
    }
  }
  return undefined;
}

function journalOf(path: string): number[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => /^\d+$/.test(l))
    .map(Number);
}
