import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContendError } from '../errors.js';
import { loadAdapter } from '../locks/registry.js';
import type { Lock } from '../locks/types.js';
import { partitionableRoute } from '../servers/partition.js';
import type { Server } from '../servers/start.js';
import { withWorkspace } from '../support/workspace.js';
import { acquireWithin, closeAll, contender, staleBound } from './contenders.js';
import type { AuditedLibrary } from './libraries.js';
import { firstLine, type AuditScenario, type Finding } from './scenario.js';

/** How long after a lock's own timeout a call still unanswered counts as hanging, ms. */
const HANG_SLACK_MS = 5_000;
/** How long a contender may wait for a lock with no lease of its own (a session lock), ms. */
const NO_LEASE_BOUND_MS = 5_000;

/**
 * The server paused (SIGSTOP: a stalled host, a GC pause of its own, a partition seen from one
 * side): does a contender asking for the lock get an answer, an error, within its timeout, or is
 * it stuck for as long as the server is? Then, the server resumed and the stuck contender given
 * up, how soon does a new one get the lock (a request sent during the pause may still be carried
 * out after it, and hold the lock until its lease runs out)?
 */
async function pausedServer(lib: AuditedLibrary, server: Server, lockPath: string, signal: AbortSignal): Promise<Finding> {
  const timeoutMs = Number(lib.lockOptions.timeoutMs ?? 10_000);
  const asking = await contender(lib, lockPath, signal, 1);
  let later: Lock | undefined;
  try {
    server.process.pause();
    const started = performance.now();
    let answer: string | undefined;
    try {
      const asked = Promise.resolve(asking.tryAcquire()).then(
        (got: boolean) => {
          // No server that is stopped answers: the pause did not take, and the cell would say nothing.
          throw new ContendError('E_AUDIT', `the ${lib.name} lock's server answered while paused (${got ? 'taken' : 'refused'}): the pause did not stop it`);
        },
        (error: unknown) => `it failed: ${firstLine(error)}`,
      );
      answer = await Promise.race([asked, sleep(timeoutMs + HANG_SLACK_MS, undefined, { signal })]);
    } finally {
      server.process.resume();
    }
    const answeredIn = Math.round(performance.now() - started);
    if (answer === undefined) return { verdict: 'no', detail: `with its server paused (SIGSTOP), a contender's request for the lock was still unanswered after ${answeredIn} ms: it waits as long as the server does` };
    // A contender that gave up on its server ends its connection, as an application would.
    await closeAll(asking);
    later = await contender(lib, lockPath, signal, 2);
    const bound = staleBound(lib) ?? NO_LEASE_BOUND_MS;
    const got = await acquireWithin(later, bound, signal);
    const paused = `with its server paused (SIGSTOP), a contender asked for the lock: after ${answeredIn} ms ${answer}`;
    return got === undefined
      ? { verdict: 'no', detail: `${paused}; once the server resumed, a new contender did not get the lock within ${bound} ms` }
      : { verdict: 'yes', detail: `${paused}; once the server resumed, a new contender got the lock in ${got} ms`, ms: got };
  } finally {
    server.process.resume();
    await closeAll(asking, later);
  }
}

/** A fault that strikes while a contender holds the lock: how it is made, undone, and told. */
interface HeldFault {
  /** Where the counter and the lock are, in the scenario's directory. */
  name: string;
  /** The holder's own library: the same, or through a route that can be cut. */
  holder: AuditedLibrary;
  strike(): Promise<void>;
  /** After the other contender had its chance, before the holder writes. */
  undo(): void;
  /** The fault, in the words of a detail: `its server restarted`. */
  what: string;
  /** Its moment, in the words of a detail: `the restart`. */
  since: string;
  /** The lock kept, in the words of a detail: `the lock outlived its server's restart`. */
  kept: string;
  /** Why no one else got it, for a lock without a lease, if there is more to say. */
  why?: string;
}

/**
 * A fault strikes while a contender holds the lock and has read a counter: what the server makes
 * of it decides whether another contender gets the lock meanwhile, and if one does, the holder,
 * never told, writes what it read plus one over the other's increment.
 */
async function faultWhileHeld(lib: AuditedLibrary, fault: HeldFault, dir: string, signal: AbortSignal): Promise<Finding> {
  const path = join(dir, `${fault.name}.json`);
  const lockPath = join(dir, `${fault.name}.lock`);
  const read = (): number => (JSON.parse(readFileSync(path, 'utf8')) as { count: number }).count;
  const write = (count: number): void => writeFileSync(path, JSON.stringify({ count }));
  write(0);
  const holder = await contender(fault.holder, lockPath, signal, 1);
  let other: Lock | undefined;
  try {
    await holder.acquire();
    const seen = read();
    const bound = staleBound(lib) ?? NO_LEASE_BOUND_MS;
    let takenAfter: number | undefined;
    try {
      await fault.strike();
      other = await contender(lib, lockPath, signal, 2);
      takenAfter = await acquireWithin(other, bound, signal);
      if (takenAfter !== undefined) {
        write(read() + 1);
        await other.release();
      }
    } finally {
      fault.undo();
    }
    write(seen + 1);
    const released = await Promise.resolve(holder.release()).then(
      () => '',
      (error: unknown) => ` (its release then failed: ${firstLine(error)})`,
    );
    if (takenAfter !== undefined) {
      const count = read();
      const lost = 2 - count;
      return {
        verdict: lost > 0 ? 'no' : 'yes',
        detail: `${fault.what} while a contender held the lock and had read a counter; another contender got the lock ${takenAfter} ms after ${fault.since} and counted; the holder, never told, wrote what it had read plus one${released}: count ${count} of 2${lost > 0 ? ` (${lost} lost)` : ''}`,
        ms: takenAfter,
      };
    }
    const after = await acquireWithin(other!, bound, signal);
    if (after === undefined) return { verdict: 'no', detail: `${fault.what} while a contender held the lock; no one else got it within ${bound} ms, nor within ${bound} ms after the holder let go${released}` };
    write(read() + 1);
    await other!.release();
    return { verdict: 'yes', detail: `${fault.kept}: no one else got it within ${bound} ms while its holder held it${staleBound(lib) === undefined && fault.why ? ` (${fault.why})` : ''}; count ${read()} of 2` };
  } finally {
    await closeAll(holder, other);
  }
}

/** The server restarted (stopped, started again on its port and data) while the lock is held. */
const restartedServer = (lib: AuditedLibrary, server: Server, dir: string, signal: AbortSignal): Promise<Finding> =>
  faultWhileHeld(lib, { name: 'restart', holder: lib, strike: () => server.restart(), undo: () => {}, what: 'its server restarted', since: 'the restart', kept: "the lock outlived its server's restart" }, dir, signal);

/**
 * The holder cut off from the server (a partition: its connections fall silent, none is closed)
 * while it holds the lock; the others still reach the server. Healed after the other's chance.
 */
async function partitionedHolder(lib: AuditedLibrary, server: Server, dir: string, signal: AbortSignal): Promise<Finding> {
  const route = await partitionableRoute(server.address);
  try {
    return await faultWhileHeld(
      lib,
      {
        name: 'partition',
        holder: { ...lib, lockOptions: { ...lib.lockOptions, url: route.url } },
        strike: async () => route.partition(),
        undo: () => route.heal(),
        what: 'its holder was cut off from its server (a partition: its connections silent, not closed)',
        since: 'the cut',
        kept: 'the holder cut off from its server kept the lock',
        why: "the server keeps a silent connection's session until TCP keepalive notices it gone, hours by default",
      },
      dir,
      signal,
    );
  } finally {
    await route.close();
  }
}

/**
 * A lock on a server, with the server paused, then restarted, then its holder cut off: all on a server of the
 * scenario's own, started for it, since pausing or restarting the run's (or the user's) would
 * reach every other contender on it.
 */
const serverFaults: AuditScenario = {
  id: 'server-faults',
  role: 'lock',
  properties: ['server-paused', 'server-restart', 'partition-safe'],
  async run(lib) {
    const { server: kind } = await loadAdapter(lib.ref);
    if (!kind) {
      const none: Finding = { verdict: 'n/a', detail: 'it needs no server' };
      return { 'server-paused': none, 'server-restart': none, 'partition-safe': none };
    }
    const { startServer } = await import('../servers/start.js');
    const server = await startServer(kind, `the audit of ${lib.name}`);
    try {
      const own: AuditedLibrary = { ...lib, lockOptions: { ...lib.lockOptions, url: server.address.url } };
      return await withWorkspace('contend-audit-', async ({ dir, signal }) => ({
        'server-paused': await pausedServer(own, server, join(dir, 'paused.lock'), signal),
        'server-restart': await restartedServer(own, server, dir, signal),
        'partition-safe': await partitionedHolder(own, server, dir, signal),
      }));
    } finally {
      await server.stop();
    }
  },
};

export const SERVER_SCENARIOS: readonly AuditScenario[] = [serverFaults];
