import { ContendError } from '../schedules/errors.js';

// The base class and InvalidOptionError live with the schedules, which depend on nothing else in
// contend; every other error is declared here.
export { ContendError, InvalidOptionError } from '../schedules/errors.js';

/** A module/export reference that does not yield a usable adapter. */
export class AdapterLoadError extends ContendError {
  constructor(message: string) {
    super('E_ADAPTER_LOAD', message);
  }
}

/**
 * An optional peer dependency is not installed: the audited libraries and the plotting stack are
 * the user's to install, so that testing one's own lock needs no native build and no vega.
 */
export class MissingPeerError extends ContendError {
  readonly packages: string[];
  /** @param neededBy what cannot run without them, in the singular: `the os-lock lock`, `the audit` */
  constructor(neededBy: string, packages: readonly string[]) {
    const names = packages.length === 1 ? `the ${packages[0]} package` : `the ${packages.slice(0, -1).join(', ')} and ${packages.at(-1)} packages`;
    super('E_MISSING_PEER', `${neededBy} needs ${names}: npm install -D ${packages.join(' ')}`);
    this.packages = [...packages];
  }
}

/**
 * How a worker failed: it threw, its thread or process ended, it did not answer in time, or (an
 * async actor) it kept the event loop of the driver's own thread blocked.
 */
export type FaultReason = 'threw' | 'died' | 'hung' | 'blocked';

export interface WorkerFault {
  worker: number;
  /** The command the worker was carrying out, or `start` before its first one. */
  action: string;
  reason: FaultReason;
  detail: string;
}

/** One or more workers threw, died or hung; every one is listed with its action. */
export class WorkerFaultError extends ContendError {
  readonly faults: WorkerFault[];
  constructor(faults: WorkerFault[]) {
    super('E_WORKER_FAULT', faults.map(formatFault).join('\n'));
    this.faults = faults;
  }
}

/** Nothing can move: blocked workers wait on a lock nobody will release. */
export class DeadlockError extends ContendError {
  readonly waiting: number[];
  readonly holders: number[];
  readonly lastHolder: number | undefined;
  constructor(waiting: number[], holders: number[], lastHolder?: number) {
    const who = holders.length
      ? `held by worker ${holders.join(', ')}`
      : lastHolder !== undefined
        ? `last held by worker ${lastHolder}, whose release did not free it`
        : 'never held by a worker of this case (is it held from outside?)';
    super('E_DEADLOCK', `deadlock: worker ${waiting.join(', ')} wait${waiting.length === 1 ? 's' : ''} for the lock, ${who}`);
    this.waiting = waiting;
    this.holders = holders;
    this.lastHolder = lastHolder;
  }
}

export function formatFault(f: WorkerFault): string {
  return `worker ${f.worker} ${f.reason === 'blocked' ? 'blocked the event loop' : f.reason} during '${f.action}': ${f.detail}`;
}
