import { performance } from 'node:perf_hooks';
import { WorkerFaultError, type WorkerFault } from '../errors.js';
import { BOOT_TIMEOUT_MS, ChannelFault, readiness, withinTime } from '../case/kinds/channel.js';
import { launch } from '../hosts/launch.js';
import { ownFileCode } from '../locks/index.js';
import { runPinned } from '../hosts/pools.js';
import type { ClientSpec, OpRecord } from './protocol.js';
import type { ClientMessage } from './protocol.js';
import { lastAction } from './progress.js';

/** A client that stopped in a way other than reporting its history. */
class ClientFault extends ChannelFault {
  constructor(
    reason: ChannelFault['reason'],
    readonly action: string,
    detail: string,
  ) {
    super(reason, detail);
  }
}

interface ClientHandle {
  spec: ClientSpec;
  loaded: Promise<void>;
  ready: Promise<void>;
  done: Promise<OpRecord[]>;
  go(): void;
  /** Ends the client now; resolves once its thread task or process is gone. */
  kill(): Promise<void>;
  /** Resolves once its thread task or process has ended by itself. */
  ended: Promise<void>;
}

/** Settles `loaded`, `ready` (as an actor host's start is waited for) and `done` from the client's messages, and fails them when it stops without. */
function lifecycle(): { loaded: Promise<void>; ready: Promise<void>; done: Promise<OpRecord[]>; receive(m: ClientMessage): void; stop(f: ClientFault): void } {
  const start = readiness();
  let done!: [(r: OpRecord[]) => void, (e: Error) => void];
  const doneP = new Promise<OpRecord[]>((res, rej) => (done = [res, rej]));
  doneP.catch(() => {});
  const stop = (fault: ClientFault): void => {
    start.fail(fault);
    done[1](fault);
  };
  return {
    loaded: start.loaded,
    ready: start.ready,
    done: doneP,
    receive(m) {
      if (m.type === 'loaded') start.markLoaded();
      else if (m.type === 'ready') start.markReady();
      else if (m.type === 'done') done[0](m.records);
      else stop(new ClientFault('threw', start.isReady ? m.action : 'start', m.error));
    },
    stop: (fault) => stop(start.isReady ? fault : new ClientFault(fault.reason, 'start', fault.message)),
  };
}

function startThreadClient(spec: ClientSpec): ClientHandle {
  const life = lifecycle();
  const run = runPinned('workload-client', { spec }, (m) => life.receive(m));
  const ended = run.ended.then((why) => life.stop(new ClientFault('died', 'run', why ?? 'the thread ended its task without a history')));
  return {
    spec,
    loaded: life.loaded,
    ready: life.ready,
    done: life.done,
    go: () => run.post({ type: 'go' }),
    async kill() {
      await run.kill();
      await ended;
    },
    ended,
  };
}

function startProcessClient(spec: ClientSpec): ClientHandle {
  const life = lifecycle();
  // Storage on a server is reached over the network; a file or memory store is contend's own code.
  const { storage } = spec;
  const filesOnly = storage.type === 'memory' || (storage.type === 'file' && ownFileCode(storage));
  const host = launch('workload-client', { env: { ...process.env, CONTEND_WORKLOAD_CHILD: '1' }, filesOnly });
  host.onMessage((m) => life.receive(m));
  const ended = host.exited.then((how) => {
    life.stop(host.pid === undefined ? new ClientFault('died', 'start', how) : new ClientFault('died', 'run', `process ${host.pid} ${how}`));
  });
  // A message that cannot go means the process has ended or never ran: its exit reports that.
  host.send({ type: 'spec', spec });
  return {
    spec,
    loaded: life.loaded,
    ready: life.ready,
    done: life.done,
    go: () => void host.send({ type: 'go' }),
    async kill() {
      await host.kill();
    },
    ended,
  };
}

export interface FleetRun {
  records: OpRecord[];
  /** From `go` to the last client's history, ms. */
  elapsedMs: number;
}

function faultOf(spec: ClientSpec, error: unknown, action: string): WorkerFault {
  const e = error as Error;
  // A client that threw said where; one that died or hung is named by the last action it published.
  const known = e instanceof ClientFault ? e.action : action;
  const where = e instanceof ClientFault && e.reason === 'threw' ? known : known === 'start' ? 'start' : (lastAction(spec.progress) ?? known);
  return {
    worker: spec.worker,
    action: `${spec.name} ${where}`,
    reason: e instanceof ChannelFault ? e.reason : 'threw',
    detail: e.message,
  };
}

/**
 * Starts every client, lets them all go at once when all are ready, and collects their histories.
 * A client that throws, dies or hangs ends the run: every client is ended, and the faults are
 * reported by worker number, client name and action.
 */
export async function runFleet(specs: ClientSpec[], options: { startTimeoutMs?: number; durationMs: number; onGo?: () => void }): Promise<FleetRun> {
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  const handles: ClientHandle[] = [];
  try {
    for (const s of specs) handles.push(s.kind === 'thread' ? startThreadClient(s) : startProcessClient(s));
    // Coming up on a busy machine is slow, and no fault of the client: its own start is timed after.
    await firstFaults(handles, (h) => h.loaded, BOOT_TIMEOUT_MS, `not up in ${BOOT_TIMEOUT_MS} ms`, 'start');
    await firstFaults(handles, (h) => h.ready, startTimeoutMs, `not ready in ${startTimeoutMs} ms`, 'start');
    let last = 0;
    const t0 = performance.now();
    for (const h of handles) h.go();
    options.onGo?.();
    // Generous: a run under chaos or on a loaded machine may finish late; a client still going
    // twice its duration (and at least 30 s) after the start is hung.
    const limit = options.durationMs + Math.max(30_000, options.durationMs);
    const histories = await firstFaults(handles, (h) => h.done.then((r) => ((last = Math.max(last, performance.now())), r)), limit, `still running ${limit} ms after the start`, 'run');
    await Promise.all(handles.map((h) => withinTime(h.ended, 5_000, 'did not end after its history').catch(() => h.kill())));
    return { records: histories.flat(), elapsedMs: last - t0 };
  } finally {
    await Promise.all(handles.map((h) => h.kill()));
  }
}

// Faults that come this close after the first are reported with it; later ones are the kill's echo.
const FAULT_GRACE_MS = 200;

/**
 * Waits for every client's `step`; the first fault ends the wait (after a short grace to collect
 * faults that happen together) instead of letting the others run their whole duration.
 */
async function firstFaults<T>(handles: ClientHandle[], step: (h: ClientHandle) => Promise<T>, ms: number, hung: string, action: string): Promise<T[]> {
  const faults: WorkerFault[] = [];
  let faulted!: () => void;
  const firstFault = new Promise<void>((resolve) => (faulted = resolve));
  const all = Promise.all(
    handles.map((h) =>
      withinTime(step(h), ms, hung).catch((error: unknown) => {
        faults.push(faultOf(h.spec, error, action));
        faulted();
        return undefined;
      }),
    ),
  );
  const settled = await Promise.race([all, firstFault.then(() => new Promise<undefined>((r) => setTimeout(() => r(undefined), FAULT_GRACE_MS)))]);
  if (faults.length) throw new WorkerFaultError([...faults].sort((a, b) => a.worker - b.worker));
  return settled as T[];
}
