import { join } from 'node:path';
import { formatTable } from '../../schedules/format.js';
import type { Schedule } from '../../schedules/types.js';
import { MAX_TIMER_MS } from '../support/check.js';
import { withWorkspace } from '../support/workspace.js';
import { asTyped, shellQuote } from '../support/literal.js';
import { ContendError, WorkerFaultError, type WorkerFault } from '../errors.js';
import { calibratePeriod, type Calibration } from './driver/calibrate.js';
import { runPeriodSchedule } from './driver/period.js';
import { CaseSession, type TraceEntry, type WorkerRead, type WriteFailure } from './driver/session.js';
import { runStepSchedule } from './driver/step.js';
import { ChannelFault, startActors, type ActorChannel } from './kinds/index.js';
import type { Outcome } from './outcome.js';
import { checkCaseKeys, resolveCase, type CaseOptions, type ResolvedCase } from './options.js';
import { lockRegistry } from '../locks/registry.js';
import { withServerUrl } from '../locks/server-lock.js';
import { writeRegistry } from '../writes/index.js';
import type { ActorSpec } from './protocol.js';
import { expectsRace, predictOutcomes } from './rule.js';

export interface CaseResult {
  case: Omit<ResolvedCase, 'adapter' | 'ref' | 'writeRef' | 'lockSource' | 'writeSource'>;
  /** One outcome per read, in worker order: the vector a case compares exactly. */
  outcomes: Outcome[];
  reads: WorkerRead[];
  /** Saves that failed as contention makes them fail (fixed-temp's lost temp file, say); a full disk is a fault instead. */
  writeFailures: WriteFailure[];
  /** Some read did not find its own write. */
  race: boolean;
  /** What the rule says for this kind and lock. */
  expectedRace: boolean;
  /** The vector the schedule implies for this lock (see predictOutcomes). */
  predicted: Outcome[];
  trace: TraceEntry[];
  /** Wall time of the whole case, ms: start of the workers, the schedule, exit and clean-up. */
  ms: number;
  /** Wall time of the schedule alone, ms, from the first action to the last exit's reply. */
  driveMs: number;
  calibration?: Calibration;
  lateness?: number[];
  timings: Record<'write' | 'read', number[]>;
  /** A literal that reruns exactly this case. */
  replay: string;
}

/**
 * What the case's lock and kind imply: whether a race is expected, and the outcome vector the
 * schedule gives then. Known before the case runs, so a case that errors still says what it expected.
 */
export function expectationOf(resolved: ResolvedCase, schedule: Schedule = resolved.ordered): { expectedRace: boolean; predicted: Outcome[] } {
  const expectedRace = expectsRace(resolved.adapter.excludes, resolved.kind, resolved.workers);
  return { expectedRace, predicted: predictOutcomes(schedule, !expectedRace) };
}

/**
 * Runs one case: builds the schedule, starts one actor per worker under the chosen kind, drives the
 * schedule, and returns the outcome vector. Every thread, process and temporary file is gone when it
 * returns or throws; a thrown ContendError carries the replay literal.
 */
export async function runCase(options: CaseOptions): Promise<CaseResult> {
  // A misspelt option is refused before a module of the user's is loaded for the case.
  const resolved = resolveCase(await registerModules(checkCaseKeys(options)));
  const started = performance.now();
  let schedule = resolved.ordered;
  try {
    return await withWorkspace<CaseResult, ActorChannel>('contend-', async ({ dir, signal, hold, letGo }) => {
      let calibration: Calibration | undefined;
      if (resolved.mode === 'period' && resolved.calibrate) {
        calibration = await calibratePeriod(schedule.period, dir);
        schedule = rescale(schedule, calibration.period);
      }
      const lockOptions = await withServerUrl(resolved.adapter, resolved.lockOptions);
      const specs: ActorSpec[] = Array.from({ length: resolved.workers }, (_, i) => ({
        worker: i + 1,
        kind: resolved.kind,
        file: join(dir, 'shared.json'),
        lockPath: join(dir, 'shared.lock'),
        lock: resolved.ref,
        lockOptions,
        write: resolved.writeRef,
        granularity: resolved.granularity,
        waiting: resolved.mode === 'step' ? 'driver' : 'self',
      }));
      const channels = await startActors(resolved.kind, specs, { signal, startTimeoutMs: resolved.startTimeoutMs, actionTimeoutMs: resolved.actionTimeoutMs });
      hold(channels);
      const last = schedule.ticks.at(-1)?.at ?? 0;
      const timeout = Math.min(MAX_TIMER_MS, resolved.actionTimeoutMs + (resolved.mode === 'period' ? last * 1000 : 0));
      const session = new CaseSession(channels, timeout);
      let lateness: number[] | undefined;
      const driveStart = performance.now();
      if (resolved.mode === 'step') await runStepSchedule(session, schedule);
      else lateness = (await runPeriodSchedule(session, schedule)).lateness;
      const driveMs = performance.now() - driveStart;
      await closeAll(letGo());
      const reads = [...session.reads].sort((a, b) => a.worker - b.worker);
      const outcomes = reads.map((r) => r.outcome);
      const { expectedRace, predicted } = expectationOf(resolved, schedule);
      const { adapter: _a, ref: _r, writeRef: _w, lockSource: _ls, writeSource: _ws, ...plain } = resolved;
      return {
        case: { ...plain, ordered: schedule },
        outcomes,
        reads,
        writeFailures: session.writeFailures,
        race: outcomes.some((o) => o !== 'intact'),
        expectedRace,
        predicted,
        trace: session.trace,
        ms: performance.now() - started,
        driveMs,
        ...(calibration ? { calibration } : {}),
        ...(lateness ? { lateness } : {}),
        timings: session.timings,
        replay: replayLiteral(resolved, options),
      };
    });
  } catch (error) {
    if (error instanceof ContendError) Object.assign(error, { replay: replayLiteral(resolved, options) });
    throw error;
  }
}

// Every worker must also end properly after its exit; one that does not is a fault like any other.
async function closeAll(channels: ActorChannel[]): Promise<void> {
  const closed = await Promise.allSettled(channels.map((c) => c.close()));
  const faults: WorkerFault[] = [];
  closed.forEach((r, i) => {
    if (r.status === 'rejected') {
      const error = r.reason as Error;
      faults.push({ worker: channels[i]!.worker, action: 'exit', reason: error instanceof ChannelFault ? error.reason : 'threw', detail: error.message });
    }
  });
  if (faults.length) throw new WorkerFaultError(faults);
}

function rescale(schedule: Schedule, period: number): Schedule {
  if (period === schedule.period) return schedule;
  const factor = period / schedule.period;
  return { ...schedule, period, ticks: schedule.ticks.map((t) => ({ ...t, at: t.at * factor })) };
}

/** A lock or write strategy given by module and export is registered first, so that the case can name it. */
async function registerModules(options: CaseOptions): Promise<CaseOptions> {
  if (typeof options !== 'object' || options === null) return options;
  return {
    ...options,
    lock: (await lockRegistry.named(options.lock)) as string,
    ...(options.write !== undefined ? { write: (await writeRegistry.named(options.write)) as string } : {}),
  };
}

/**
 * What a failure prints so it can be rerun: the options as a runCase() literal and as the CLI's
 * --replay, then the schedule's table. A lock or strategy of the user's is named by its module and
 * export, so the literal works without the registerLock() that named it.
 */
export function replayLiteral(resolved: ResolvedCase, options: CaseOptions): string {
  const literal = {
    kind: resolved.kind,
    lock: resolved.lockSource ? asTyped(resolved.lockSource) : resolved.lock,
    order: resolved.order,
    mode: resolved.mode,
    granularity: resolved.granularity,
    ...(Object.keys(resolved.lockOptions).length ? { lockOptions: resolved.lockOptions } : {}),
    ...(resolved.write !== 'truncate' ? { write: resolved.writeSource ? asTyped(resolved.writeSource) : resolved.write } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(resolved.calibrate ? {} : { calibrate: false }),
    schedule: resolved.schedule,
  };
  const json = JSON.stringify(literal);
  return `runCase(${json})
contend run --replay ${shellQuote(json)}
schedule (${resolved.order}):
${formatTable(resolved.ordered)}`;
}
