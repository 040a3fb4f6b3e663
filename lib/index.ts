/// <reference types="node" preserve="true" />
/**
 * contend's main entry: cases (schedules, actors, the matrix), lock adapters, write strategies and
 * the JSON store. The systems around them are on subpaths: `contend/writes` (stress, crash points,
 * durability), `contend/audit`, `contend/workload`, `contend/fuzz`, `contend/explore`,
 * `contend/powerloss`; the vitest matchers are on `contend/vitest`. Importing it changes nothing:
 * no fs function is wrapped and no thread or process is started until something runs.
 */

// Schedules: who writes and reads when.
export { generateSchedule, MAX_PERIOD, MAX_WORKERS, type ScheduleOptions } from '../schedules/generate.js';
export { applyOrdering, forceReadOrder, forceWriteOrder } from '../schedules/order.js';
export { formatSchedule, formatTable, SCHEDULE_FORMATS, type ScheduleFormat } from '../schedules/format.js';
export { validateSchedule } from '../schedules/validate.js';
export { OPS, ORDERINGS, PATTERNS, type Action, type Op, type Ordering, type Pattern, type Schedule, type Tick } from '../schedules/types.js';

// Cases: one schedule run by actors of one worker kind under one lock, and the outcome vector expected.
export { runCase, type CaseResult } from './case/run-case.js';
export { MODES, type CaseOptions, type Mode, type ResolvedCase } from './case/options.js';
export { GRANULARITIES, type Granularity } from './case/protocol.js';
export { OUTCOMES, formatVector, type Outcome } from './case/outcome.js';
export { expectsRace, predictOutcomes } from './case/rule.js';
export { calibratePeriod, type Calibration } from './case/driver/calibrate.js';
export type { TraceEntry, WorkerRead, WriteFailure } from './case/driver/session.js';
export { matrixCases, runMatrix, sameVector, type MatrixCase, type MatrixOptions, type MatrixRow } from './case/matrix.js';
export { formatMatrix } from './case/report.js';
export { closePools } from './case/kinds/index.js';

// Locks: the built-in adapters, your own by module and export, and the helpers adapters are made of.
export { registerLock, unregisterLock, lockNames, resolveLock } from './locks/registry.js';
export type { ModuleRef, Registered } from './modules/registry.js';
export {
  FlockAdapter,
  FsExtAdapter,
  LockfileAdapter,
  MutexAdapter,
  NoLockAdapter,
  NpmLockfileAdapter,
  OsLockAdapter,
  SpinlockAdapter,
} from './locks/index.js';
// The options of the built-in locks, as `lockOptions` takes them (`contend locks` lists their defaults).
export type { FlockOptions } from './locks/flock.js';
export type { LockfileOptions } from './locks/lockfile.js';
export type { NpmLockfileOptions } from './locks/npm-lockfile.js';
export type { SpinlockOptions } from './locks/spinlock.js';
export type { LeaseLockOptions, ServerLockOptions } from './locks/server-lock.js';
export { WORKER_KINDS, type AdapterRef, type Excludes, type Lock, type LockAdapter, type LockContext, type WorkerKind } from './locks/types.js';
export { fdLock, type FdLockCalls } from './locks/fd-lock.js';
export { AtomicsMutex } from './locks/atomics-mutex.js';
export { retryUntil, retryWithin, wakeOnChange, type WaitOptions } from './locks/wait.js';

// Write strategies: how a save reaches the file. What kills, contention and crashes do to each is
// on `contend/writes`.
export { registerWriteStrategy, unregisterWriteStrategy, writeStrategyNames, type WriteStrategy } from './writes/index.js';
export { TruncateStrategy } from './writes/truncate.js';
export { AtomicStrategy } from './writes/atomic.js';
export { AtomicDirsyncStrategy } from './writes/atomic-dirsync.js';
export { AtomicSyncStrategy } from './writes/atomic-sync.js';
export { FixedTempStrategy } from './writes/fixed-temp.js';
export { WriteFileAtomicStrategy } from './writes/write-file-atomic.js';
export { AtomicallyStrategy } from './writes/atomically.js';
export { StenoStrategy } from './writes/steno.js';
export { LowdbStrategy } from './writes/lowdb.js';
export { ConfStrategy } from './writes/conf.js';
export { tracedStep, type FsStep } from './writes/trace.js';

// The JSON store the kill fuzz checks: a journal of puts that survives SIGKILL.
export { JsonFileStore, CorruptStoreError, StoreVersionError, readStore, type Checkpoint, type StoreOptions } from './store/json-file-store.js';

// Errors: each has a `code`.
export {
  AdapterLoadError,
  ContendError,
  DeadlockError,
  InvalidOptionError,
  MissingPeerError,
  WorkerFaultError,
  type FaultReason,
  type WorkerFault,
} from './errors.js';
export { MissingServerError } from './servers/binaries.js';
export { ServerTimeoutError } from './locks/server-lock.js';
