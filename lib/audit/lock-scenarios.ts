import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAdapter } from '../locks/registry.js';
import { ContendError, WorkerFaultError } from '../errors.js';
import { formatVector } from '../case/outcome.js';
import type { Lock, WorkerKind } from '../locks/types.js';
import { runCase } from '../case/run-case.js';
import { fdTargets, untilStopped } from '../servers/process.js';
import { tcpConnectionsOf, untilPeersClosed } from '../servers/connections.js';
import { pausedAt, withHosts } from './host.js';
import type { AuditedLibrary } from './libraries.js';
import { nativeWaits } from './native-waits.js';
import { fencedWrite } from './fencing.js';
import { acquireWithin, closeAll, contender, expiry, pastWhat, staleBound } from './contenders.js';
import { firstLine, type AuditScenario, type Finding } from './scenario.js';
import { counted } from '../support/counted.js';

const KINDS: [WorkerKind, 'excludes-async' | 'excludes-threads' | 'excludes-processes'][] = [
  ['async', 'excludes-async'],
  ['thread', 'excludes-threads'],
  ['process', 'excludes-processes'],
];

/** Two workers of one kind under the lock, through contend's own step driver: a race is a fact of the outcome vector. */
const exclusion: AuditScenario = {
  id: 'exclusion',
  role: 'lock',
  properties: ['excludes-async', 'excludes-threads', 'excludes-processes'],
  async run(lib) {
    const findings: Record<string, Finding> = {};
    for (const [kind, property] of KINDS) {
      try {
        const result = await runCase({ kind, lock: lib.name, lockOptions: lib.lockOptions, workers: 2 });
        const stepped = `2 ${kind} workers, each writes then reads: ${formatVector(result.outcomes)}`;
        findings[property] = result.race ? { verdict: 'no', detail: `${stepped} (a read found the other worker's write)` } : await explored(lib, kind, stepped);
      } catch (error) {
        // Refused at start in this kind (fs-ext in a worker_thread): it keeps nothing apart there.
        // Any other failure has no answer, and is the scenario's error.
        if (!(error instanceof WorkerFaultError && error.faults.every((f) => f.action === 'start' && f.reason === 'threw'))) throw error;
        findings[property] = { verdict: 'no', detail: `unusable: ${firstLine(error)}` };
      }
    }
    return findings;
  },
};

/**
 * The step schedule found no race; every interleaving of two actors' fs calls (within 2
 * preemptions) must not find one either before the cell says yes. A lock whose own acquire races
 * (look, then create) passes the step schedule every time.
 */
async function explored(lib: AuditedLibrary, kind: WorkerKind, stepped: string): Promise<Finding> {
  const { explore } = await import('../explore/explore.js');
  // A lock that expires by the clock is explored with its clock stretched, and the cell says so.
  const r = await explore({ lock: lib.name, lockOptions: lib.lockOptions, kind, workers: 2, stretchClock: true });
  const note = r.stretched ? ` (with ${r.stretched}, so that no lock expires while a schedule runs call by call)` : '';
  const broken = r.outcomes.find((o) => o.grade !== 'acceptable');
  if (!broken) return { verdict: 'yes', detail: `${stepped}; explored${note}: all ${r.schedules} schedules within 2 preemptions intact` };
  const shrunk = r.failure ? `; shrunk schedule (actors in turn): ${r.failure.steps.map((s) => s.worker).join('')}, ${counted(r.failure.preemptions, 'preemption')}` : '';
  return { verdict: 'no', detail: `${stepped}, but explore${note} found ${broken.outcome} in ${broken.count} of ${r.schedules} schedules${shrunk}` };
}

/** Fds of a process open on a path: the kernel keeps a lock held through them. */
const openFds = (pid: number, path: string): number => fdTargets(pid).filter((target) => target === path).length;

/** How long a server may take to close a dead holder's connection: far beyond any server's own pace. */
const SESSION_END_BOUND_MS = 30_000;

/** After the holder is gone (SIGKILL) or its thread terminated: does another get the lock, and when. */
function recovery(id: 'holder-killed' | 'thread-terminated'): AuditScenario {
  const inThread = id === 'thread-terminated';
  return {
    id,
    role: 'lock',
    properties: [id],
    async run(lib) {
      return withHosts(lib, ['holder'], async ([holder], { dir, signal }) => {
        const lockPath = join(dir, 'shared.lock');
        try {
          await holder!.call({ op: 'hold', lock: lib.ref, lockOptions: lib.lockOptions, lockPath, inThread });
        } catch (error) {
          // A lock that refuses worker_threads has no thread to lose it with. Any other failure to
          // take it (a throw, a wait that never ends) is the scenario's, and the cell an error.
          if (!inThread || (error as ContendError).code !== 'E_UNSAFE_IN_THREAD') throw error;
          return { [id]: { verdict: 'n/a', detail: `cannot be held in a worker_thread: ${firstLine(error)}` } };
        }
        const mine = await contender(lib, lockPath, signal);
        try {
          if (await mine.tryAcquire()) return { [id]: { verdict: 'n/a', detail: 'another process got the lock while it was held: nothing to recover' } };
          const how = inThread ? 'its worker_thread terminated' : 'the holder SIGKILLed';
          // A lock held through a connection (a server's session lock) is freed by the server once
          // it sees the connection end, which takes the server a moment of its own: the attempt
          // waits for that, or the verdict would depend on how fast the server was scheduled.
          const connections = tcpConnectionsOf(await holder!.hostPid());
          if (inThread) await holder!.call({ op: 'terminate-thread' });
          else await holder!.kill('SIGKILL');
          const sessionEnd = connections.length ? await untilPeersClosed(connections, SESSION_END_BOUND_MS, signal) : 0;
          if (sessionEnd === undefined) {
            return { [id]: { verdict: 'no', detail: `still held after ${how}: the server kept its connection open ${SESSION_END_BOUND_MS} ms` } };
          }
          if (await mine.tryAcquire()) {
            const when = connections.length ? `after ${sessionEnd} ms, when the server had ended its session: free on the first attempt after ${how}` : `at once: free on the first attempt after ${how}`;
            return { [id]: { verdict: 'yes', detail: when, ms: sessionEnd } };
          }
          const bound = staleBound(lib);
          if (bound !== undefined) {
            const ms = await acquireWithin(mine, bound, signal);
            if (ms !== undefined) return { [id]: { verdict: 'yes', detail: `after ${ms} ms: ${expiry(lib)}`, ms } };
            return { [id]: { verdict: 'no', detail: `still held ${bound} ms after ${how}, past ${pastWhat(lib)}` } };
          }
          const fds = inThread ? openFds(await holder!.hostPid(), lockPath) : 0;
          return {
            [id]: {
              verdict: 'no',
              detail: `still held after ${how}, and nothing will free it: ${fds ? `the thread's fd stays open in the process (${fds} fd on the lock file), until the process exits` : 'no stale time is set, so the lock stays until removed by hand'}`,
            },
          };
        } finally {
          await closeAll(mine);
        }
      });
    },
  };
}

/** A live holder's event loop stalls; does a contender take the lock meanwhile, and what happens after. */
const stall: AuditScenario = {
  id: 'stall',
  role: 'lock',
  properties: ['stall-safe'],
  async run(lib) {
    return withHosts(lib, ['holder'], async ([holder], { dir, signal }) => {
      const lockPath = join(dir, 'shared.lock');
      const go = join(dir, 'go');
      await holder!.call({ op: 'hold', lock: lib.ref, lockOptions: lib.lockOptions, lockPath });
      const stalled = holder!.until({ op: 'stall', until: go, settleMs: Number(lib.lockOptions.updateMs ?? 0) + 5_000 });
      if ((await stalled.reached)?.event !== 'stalling') throw new Error(`the holder did not stall: ${JSON.stringify(await stalled.done)}`);
      let mine: Lock | undefined;
      let third: Lock | undefined;
      try {
        mine = await contender(lib, lockPath, signal, 2);
        third = await contender(lib, lockPath, signal, 3);
        const bound = staleBound(lib);
        const ms = bound !== undefined ? await acquireWithin(mine, bound, signal) : (await mine.tryAcquire()) ? 0 : undefined;
        writeFileSync(go, '');
        const after = await stalled.done;
        if (ms === undefined) {
          await holder!.call({ op: 'release' });
          return {
            'stall-safe': { verdict: 'yes', detail: bound !== undefined ? `held through a stall of ${bound} ms, past ${pastWhat(lib)}` : 'held through the stall: the lock has no stale time to expire' },
          };
        }
        const released = await holder!.call({ op: 'release' });
        const deleted = await third.tryAcquire();
        const told = typeof after.lost === 'string' ? `the old holder was told (${after.lost})` : 'the old holder was not told';
        const release = released.released ? 'its release went through' : `its release failed (${released.error})`;
        return {
          'stall-safe': {
            verdict: 'no',
            detail: `taken over ${ms} ms into the stall while its holder still held it; ${told}; ${release}; ${deleted ? "the new holder's lock was deleted by it, so a third got the lock too" : "the new holder's lock survived"}`,
            ms,
          },
        };
      } finally {
        writeFileSync(go, '');
        await closeAll(mine, third);
      }
    });
  },
};

/**
 * Two contenders in two processes find one stale lock (its holder SIGKILLed); the first is held
 * just before it removes the lock, the second then tries once; both are let go in turn. Does each
 * end up holding the lock?
 */
const staleRace: AuditScenario = {
  id: 'stale-race',
  role: 'lock',
  properties: ['stale-race'],
  async run(lib) {
    const bound = staleBound(lib);
    if (bound === undefined) return { 'stale-race': { verdict: 'n/a', detail: 'nothing is ever reclaimed as stale' } };
    if (lib.lockOptions.staleMs === undefined) return { 'stale-race': { verdict: 'n/a', detail: 'its server ends a lease that ran out: no contender reclaims it' } };
    return withHosts(lib, ['holder', 'first', 'second'], async ([holder, a, b], { dir }) => {
      const order = { lock: lib.ref, lockOptions: lib.lockOptions, lockPath: join(dir, 'shared.lock') };
      await holder!.call({ op: 'hold', ...order });
      await holder!.kill('SIGKILL');
      const first = a!.until({ op: 'reclaim', ...order, boundMs: bound });
      const firstAt = pausedAt(await first.reached);
      if (firstAt === undefined) {
        const end = await first.done;
        const detail = end.unholdable
          ? `its reclaim removes the stale lock synchronously (${end.unholdable}): no pause point can hold it there`
          : `the first contender took the stale lock without removing anything (holds: ${end.held})`;
        return { 'stale-race': { verdict: 'n/a', detail } };
      }
      const heldSince = performance.now();
      const second = b!.until({ op: 'reclaim', ...order, boundMs: 0 });
      const secondAt = pausedAt(await second.reached);
      // The second must try while the first's claim is fresh: a claim older than the stale time
      // may rightly be reclaimed itself, which would be a different question.
      const late = performance.now() - heldSince;
      if (late > Number(lib.lockOptions.staleMs) / 2) throw new ContendError('E_AUDIT', `the second reclaimer tried ${Math.round(late)} ms after the first was held, too late to tell (stale ${String(lib.lockOptions.staleMs)} ms)`);
      await first.resume();
      const aHolds = (await first.done).held === true;
      if (secondAt === undefined) {
        const bHolds = (await second.done).held === true;
        return {
          'stale-race': {
            verdict: aHolds && bHolds ? 'no' : 'yes',
            detail: `the first reclaimer was held before ${firstAt}; the second's attempt ended without reclaiming (holds: ${bHolds}); the first then got the lock: ${aHolds}`,
          },
        };
      }
      await second.resume();
      const bHolds = (await second.done).held === true;
      const both = aHolds && bHolds;
      return {
        'stale-race': {
          verdict: both ? 'no' : 'yes',
          detail: `both reclaimers reached ${firstAt}; let go in turn, ${both ? 'both got the lock: two holders at once' : `first got it: ${aHolds}, second: ${bHolds}`}`,
        },
      };
    });
  },
};

/** The holder reads the lock file (another fd opened and closed): is the lock still held? */
const fdClose: AuditScenario = {
  id: 'fd-close',
  role: 'lock',
  properties: ['fd-close-safe'],
  async run(lib) {
    const { server } = await loadAdapter(lib.ref);
    if (server) return { 'fd-close-safe': { verdict: 'n/a', detail: `it locks on its ${server} server: no file of its own to close` } };
    return withHosts(lib, ['holder'], async ([holder], { dir, signal }) => {
      const lockPath = join(dir, 'shared.lock');
      writeFileSync(lockPath, '', { flag: 'a' });
      await holder!.call({ op: 'hold', lock: lib.ref, lockOptions: lib.lockOptions, lockPath });
      const mine = await contender(lib, lockPath, signal);
      try {
        if (await mine.tryAcquire()) return { 'fd-close-safe': { verdict: 'n/a', detail: 'another process got the lock while it was held' } };
        await holder!.call({ op: 'close-other-fd', path: lockPath });
        const lost = await mine.tryAcquire();
        return {
          'fd-close-safe': lost
            ? { verdict: 'no', detail: 'the holder read the lock file (open + close of another fd) and another process got the lock at once' }
            : { verdict: 'yes', detail: 'still held after the holder opened and closed the lock file elsewhere' },
        };
      } finally {
        await closeAll(mine);
      }
    });
  },
};

const POOL = 4;

/** Waits through the library's own call on a held lock, as many as libuv has pool threads, then one unrelated read. */
const pool: AuditScenario = {
  id: 'pool',
  role: 'lock',
  properties: ['pool-free'],
  async run(lib) {
    const native = nativeWaits[lib.name];
    if (!native) return { 'pool-free': { verdict: 'n/a', detail: 'no waiting call of its own is known to the audit' } };
    return withHosts(
      lib,
      ['waiter'],
      async ([waiter], { dir, signal }) => {
        const lockPath = join(dir, 'shared.lock');
        const probe = join(dir, 'unrelated.txt');
        writeFileSync(probe, 'x');
        const mine = await contender(lib, lockPath, signal);
        try {
          if (!(await mine.tryAcquire())) throw new Error('the audit could not take the lock to make others wait');
          // The host says `read` or `parked` first; either is the answer, then the lock is let go.
          const waited = waiter!.until({ op: 'pool', library: lib.name, lockPath, probe, waiters: POOL });
          const first = (await waited.reached)?.event;
          await mine.release();
          await waited.done;
          return {
            'pool-free':
              first === 'read'
                ? { verdict: 'yes', detail: `${native.call}: the read finished while ${POOL} waits were pending (they do not wait on libuv's pool)` }
                : { verdict: 'no', detail: `${native.call}: all ${POOL} threads of libuv's pool parked in the lock wait (/proc wchan) with the unrelated read still queued; it ran only once the lock was let go` },
          };
        } finally {
          await closeAll(mine);
        }
      },
      { poolSize: POOL },
    );
  },
};

/** One round of the pause scenario: how it went, from the lost holder's point of view. */
interface PauseRound {
  /** When another contender got the lock while the holder was stopped, ms into the stop. */
  takenAfter?: number;
  /** The counter at the end: 2 when both increments count. */
  count: number;
  /** The fencing store refused the paused holder's write: the greater token it had seen. */
  refused?: string;
  /** The paused holder's token, and the other's. */
  tokens?: [string, string];
  /** The lock gave the paused holder a fencing token. */
  fences: boolean;
}

/**
 * A holder that is paused (SIGSTOP of its process: a GC pause, a VM migration, a swapped-out
 * page) while it holds the lock and has read a counter. Does another contender get the lock
 * meanwhile (its lease ran out, it was taken over as stale), and when the first resumes and
 * writes what it read plus one, is an increment lost? Then the same with fencing tokens: each
 * write carries its hold's token, and the store refuses one below a token it has seen.
 */
const pause: AuditScenario = {
  id: 'pause',
  role: 'lock',
  properties: ['pause-safe', 'fencing'],
  async run(lib) {
    return withHosts(lib, ['paused'], async ([paused], { dir, signal }) => {
      const path = join(dir, 'counter.json');
      const lockPath = join(dir, 'shared.lock');
      const counter = { writer: 'truncate', strategy: { builtin: 'truncate' }, path };
      const pid = await paused!.hostPid();
      const read = (): number => (JSON.parse(readFileSync(path, 'utf8')) as { count: number }).count;
      const round = async (fenced: boolean): Promise<PauseRound> => {
        writeFileSync(path, JSON.stringify({ count: 0 }));
        const { token } = await paused!.call({ op: 'hold', lock: lib.ref, lockOptions: lib.lockOptions, lockPath });
        const mine = await contender(lib, lockPath, signal, 2);
        try {
          await paused!.call({ op: 'counter-read', ...counter });
          process.kill(pid, 'SIGSTOP');
          // From here on the holder runs no more: not even a renewal it was about to send.
          untilStopped([pid]);
          let takenAfter: number | undefined;
          let tokens: [string, string] | undefined;
          try {
            const bound = staleBound(lib);
            takenAfter = bound !== undefined ? await acquireWithin(mine, bound, signal) : (await mine.tryAcquire()) ? 0 : undefined;
            if (takenAfter !== undefined) {
              const other = mine.fence?.();
              if (fenced && (token === undefined || other === undefined)) throw new ContendError('E_AUDIT', 'a lock that gave a fencing token once did not give one again');
              if (fenced) {
                tokens = [token!, String(other)];
                await fencedWrite(path, read() + 1, other!);
              } else writeFileSync(path, JSON.stringify({ count: read() + 1 }));
              await mine.release();
            }
          } finally {
            process.kill(pid, 'SIGCONT');
          }
          const wrote = await paused!.call({ op: 'counter-write', ...counter, ...(fenced ? { fence: token! } : {}) });
          await paused!.call({ op: 'release' });
          if (takenAfter === undefined) {
            // The other's turn comes once the resumed holder has let go.
            await mine.acquire();
            writeFileSync(path, JSON.stringify({ count: read() + 1 }));
            await mine.release();
          }
          return {
            count: read(),
            fences: token !== undefined,
            ...(takenAfter !== undefined ? { takenAfter } : {}),
            ...(wrote.refused !== undefined ? { refused: wrote.refused } : {}),
            ...(tokens ? { tokens } : {}),
          };
        } finally {
          await closeAll(mine);
        }
      };
      const plain = await round(false);
      if (plain.takenAfter === undefined) {
        const kept = 'the paused holder kept the lock, no one else got it while it was stopped';
        return {
          'pause-safe': { verdict: 'yes', detail: `${kept}${staleBound(lib) !== undefined ? ` (waited ${staleBound(lib)} ms)` : ''}; count 2 of 2` },
          fencing: { verdict: 'n/a', detail: `no stale write to refuse: ${kept}` },
        };
      }
      const how = `paused (SIGSTOP) holding the lock, after reading the counter; another contender got the lock ${plain.takenAfter} ms into the pause${lib.lockOptions.staleMs !== undefined || lib.lockOptions.ttlMs !== undefined ? ` — ${expiry(lib)} —` : ''} and counted; resumed, the paused holder wrote what it had read plus one`;
      const lost = 2 - plain.count;
      const pauseSafe: Finding = { verdict: lost > 0 ? 'no' : 'yes', detail: `${how}: count ${plain.count} of 2${lost > 0 ? ` (${lost} lost)` : ''}`, ms: plain.takenAfter };
      if (!plain.fences) return { 'pause-safe': pauseSafe, fencing: { verdict: 'n/a', detail: 'the lock gives no fencing token' } };
      const fenced = await round(true);
      const [stale, fresh] = fenced.tokens ?? ['?', '?'];
      return {
        'pause-safe': pauseSafe,
        fencing: fenced.refused !== undefined && fenced.count === 1
          ? { verdict: 'yes', detail: `with each write carrying its hold's fencing token, checked by the store: the paused holder's write (token ${stale}) was refused, the store had seen ${fenced.refused}; count 1: the other's increment (token ${fresh}) kept, nothing lost` }
          : { verdict: 'no', detail: `with fencing tokens (the paused holder's ${stale}, the other's ${fresh}) the paused holder's write went through: count ${fenced.count} of 2` },
      };
    });
  },
};

export const LOCK_SCENARIOS: readonly AuditScenario[] = [exclusion, recovery('holder-killed'), recovery('thread-terminated'), stall, pause, staleRace, fdClose, pool];
