import { createInterface } from 'node:readline';
import { watchLoop } from '../case/kinds/watchdog.js';
import { settledWithin } from '../support/deadline.js';
import { launch } from '../hosts/launch.js';
import { ownFileCode } from '../locks/index.js';
import { runPinned } from '../hosts/pools.js';
import type { WorkerKind } from '../locks/types.js';
import { WorkerFaultError } from '../errors.js';
import { actorState, runActor } from './actor.js';
import { tallyOf, type Holder } from './gate.js';
import { ABANDON, ANNOUNCE_FD, GO, GRANT_FD, GRANT_SEQ, GRANT_WORD, type Announcement, type ExploreActorSpec, type ExploreHostMessage, type SubjectSpec } from './protocol.js';
import { loadSubject, type LoadedSubject } from './subjects.js';
import { mailboxReader, newMailbox } from './mailbox.js';

/** The explorer's end of one actor, whatever it runs in. */
export interface ActorLink {
  readonly worker: number;
  /** Starts the actor's run of schedule `run`; its announcements follow (see next). */
  begin(run: number, free?: boolean): void;
  /** Lets the actor go on from its point (`true`), or abandons the schedule there (`false`). */
  grant(go: boolean): void;
  /** Its next announcement: a point reached, or its end. Rejects if the actor's host died. */
  next(): Promise<Announcement>;
  close(): Promise<void>;
}

/** Announcements in arrival order, and a host's death as the rejection of what is awaited next. */
class Inbox {
  private readonly queued: Announcement[] = [];
  private waiting: { resolve: (a: Announcement) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  constructor(private readonly worker: number) {}

  push(message: Announcement): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      w.resolve(message);
    } else this.queued.push(message);
  }

  fail(detail: string): void {
    this.failure ??= new WorkerFaultError([{ worker: this.worker, action: 'explore', reason: 'died', detail }]);
    this.waiting?.reject(this.failure);
    this.waiting = undefined;
  }

  next(): Promise<Announcement> {
    const first = this.queued.shift();
    if (first) return Promise.resolve(first);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }
}

/**
 * Async actors: in the explorer's own thread, each a promise chain of its own. Code of theirs that
 * never yields (a busy-wait) would block that thread for good: while one moves, from its grant
 * to its next point, the loop's watchdog watches it, and past the step time-out ends the process.
 */
async function asyncLink(spec: ExploreActorSpec, subject: LoadedSubject, shared: Int32Array, local: () => Map<string, unknown>, stepTimeoutMs: number): Promise<ActorLink> {
  const inbox = new Inbox(spec.worker);
  let release: ((go: boolean) => void) | undefined;
  let run = 0;
  // Not interrupted (see watchLoop): a block past the time-out ends the process, said on stderr by
  // the watchdog, so no report of it ever comes back here.
  const watch = watchLoop(stepTimeoutMs, () => {}, { interruptible: false });
  let stopMoving: (() => void) | undefined;
  const moving = (): void => {
    stopMoving?.();
    stopMoving = watch.enter('explore', 'actor');
  };
  const stopped = (): void => {
    stopMoving?.();
    stopMoving = undefined;
  };
  const holder: Holder = {
    blocks: false,
    hold(point, state) {
      stopped();
      const granted = new Promise<boolean>((resolve) => (release = resolve));
      inbox.push({ type: 'point', run, point, ...tallyOf(state) });
      return granted;
    },
  };
  return {
    worker: spec.worker,
    begin(r, free) {
      run = r;
      moving();
      void runActor(subject, spec, actorState(spec, holder, free), { shared, local: local(), signal: new AbortController().signal }, r, (a) => {
        stopped();
        inbox.push(a);
      });
    },
    grant(go) {
      const r = release;
      release = undefined;
      moving();
      r?.(go);
    },
    next: () => inbox.next(),
    close: async () => watch.stop(),
  };
}

/**
 * An actor that does not reach its next point (or its end) within the step time-out is a fault:
 * an adapter that never settles, or never yields, ends the exploration instead of holding it for
 * ever. Its host is ended with the others.
 */
function timedLink(link: ActorLink, stepTimeoutMs: number): ActorLink {
  return {
    ...link,
    next: () =>
      settledWithin(link.next(), stepTimeoutMs, () => new WorkerFaultError([{ worker: link.worker, action: 'explore', reason: 'hung', detail: `it did not reach its next point within ${stepTimeoutMs} ms` }])),
  };
}

/**
 * A host's start: `started()` once it is ready, `started(why)` if it could not load its subject or
 * died; `ready(end)` waits for that, and on a failure ends the host and throws the fault.
 */
function startSignal(worker: number): { started: (error?: string) => void; ready: (end: () => Promise<void>) => Promise<void> } {
  let started!: (error?: string) => void;
  const outcome = new Promise<string | undefined>((resolve) => (started = resolve));
  return {
    started,
    async ready(end) {
      const failed = await outcome;
      if (!failed) return;
      await end();
      throw new WorkerFaultError([{ worker, action: 'start', reason: 'threw', detail: failed }]);
    },
  };
}

async function threadLink(spec: ExploreActorSpec, shared: SharedArrayBuffer): Promise<ActorLink> {
  const grant = new SharedArrayBuffer(8);
  const mailbox = newMailbox();
  const reader = mailboxReader(mailbox);
  let gone: Error | undefined;
  const word = new Int32Array(grant);
  const { started, ready } = startSignal(spec.worker);
  const pinned = runPinned('explore-host', { spec, shared, grant, mailbox }, (m: ExploreHostMessage) => {
    if (m.type === 'ready') started();
    else if (m.type === 'start-failed') started(m.error.message);
  });
  void pinned.ended.then((why) => {
    started(why ?? 'the thread ended');
    gone = new WorkerFaultError([{ worker: spec.worker, action: 'explore', reason: 'died', detail: why ?? 'the thread ended' }]);
  });
  await ready(() => pinned.kill());
  return {
    worker: spec.worker,
    begin: (run, free) => pinned.post({ type: 'begin', run, ...(free ? { free } : {}) }),
    grant(go) {
      Atomics.store(word, GRANT_WORD, go ? GO : ABANDON);
      Atomics.add(word, GRANT_SEQ, 1);
      Atomics.notify(word, GRANT_SEQ);
    },
    next: () => reader.next(() => gone) as Promise<Announcement>,
    close: () => pinned.kill(),
  };
}

async function processLink(spec: ExploreActorSpec): Promise<ActorLink> {
  const inbox = new Inbox(spec.worker);
  // A user's operations are code of the user's; a lock or strategy subject may be contend's own alone.
  const filesOnly = spec.subject.type !== 'ops' && ownFileCode(spec.subject);
  const host = launch('explore-host', { env: { ...process.env, CONTEND_EXPLORE_CHILD: '1' }, extraPipes: 2, filesOnly });
  const { started, ready } = startSignal(spec.worker);
  const grants = host.pid === undefined ? undefined : host.pipe(GRANT_FD);
  if (grants) {
    const lines = createInterface({ input: host.pipe(ANNOUNCE_FD), crlfDelay: Infinity });
    lines.on('line', (line) => {
      const m = JSON.parse(line) as ExploreHostMessage;
      if (m.type === 'ready') started();
      else if (m.type === 'start-failed') started(m.error.message);
      else inbox.push(m);
    });
  }
  void host.exited.then((how) => {
    started(how);
    inbox.fail(how);
  });
  host.send({ type: 'setup', spec });
  await ready(async () => void (await host.kill()));
  return {
    worker: spec.worker,
    begin: (run, free) => void host.send({ type: 'begin', run, ...(free ? { free } : {}) }),
    grant: (go) => void grants?.write(go ? 'g' : 'a'),
    next: () => inbox.next(),
    close: async () => void (await host.kill()),
  };
}

/** The actors of an exploration, started and ready, with the memory their in-memory locks share. */
export interface Actors {
  links: ActorLink[];
  /** Zeroes the shared memory and the per-thread objects before a schedule. */
  reset(): void;
  /** The subject as the explorer's own thread has it (setup, check, grade). */
  subject: LoadedSubject;
  close(): Promise<void>;
}

export async function startActors(kind: WorkerKind, workers: number, subjectSpec: SubjectSpec, dir: string, stepTimeoutMs: number): Promise<Actors> {
  const subject = await loadSubject(subjectSpec, kind);
  const shared = new SharedArrayBuffer(64);
  const memory = new Int32Array(shared);
  let local = new Map<string, unknown>();
  // Hosts start side by side; if any cannot, those that did are ended before the error goes up.
  const started = await Promise.allSettled(
    Array.from({ length: workers }, (_, i) => {
      const spec: ExploreActorSpec = { subject: subjectSpec, worker: i + 1, workers, kind, dir };
      if (kind === 'async') return asyncLink(spec, subject, memory, () => local, stepTimeoutMs);
      return kind === 'thread' ? threadLink(spec, shared) : processLink(spec);
    }),
  );
  const links = started.flatMap((s) => (s.status === 'fulfilled' ? [timedLink(s.value, stepTimeoutMs)] : []));
  const close = async (): Promise<void> => void (await Promise.allSettled(links.map((l) => l.close())));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await close();
    throw failed.reason;
  }
  return {
    links,
    subject,
    reset() {
      memory.fill(0);
      local = new Map();
    },
    close,
  };
}
