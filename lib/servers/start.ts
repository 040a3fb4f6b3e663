import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeSharedMemoryAtExit } from '../support/cleanup.js';
import { ContendError } from '../errors.js';
import { serverPrograms } from './binaries.js';
import { freePort, runToEnd, serverDirectory, serverUser, startServerProcess, type ServerProcess } from './process.js';
import type { ServerAddress, ServerKind } from './types.js';

/** A throwaway server: its address, its process, and how to end it and remove its files. */
export interface Server {
  address: ServerAddress;
  /** Its process: a new one after each restart. */
  readonly process: ServerProcess;
  /** Its data, removed by stop(). */
  dir: string;
  /**
   * Ends its process (its stop signal, then SIGKILL) and starts it again on the same port and data, as an
   * upgrade or a crash-looping host would: what it keeps across that is what it persisted.
   */
  restart(): Promise<void>;
  /** Stops it (its stop signal, then SIGKILL) and removes its directory; a second call does nothing. */
  stop(): Promise<void>;
}

/** A server made ready to run (its data initialised, its ports chosen): `launch` runs it, again after a restart. */
interface Prepared {
  port: number;
  url: string;
  launch(): Promise<ServerProcess>;
}

/**
 * How each server is started: in a directory of its own, on 127.0.0.1 and a free port, with
 * nothing kept that a test does not need (no fsync, no snapshots), ready when its log says so.
 */
const STARTERS: Record<ServerKind, (dir: string, programs: Record<string, string>) => Promise<Prepared>> = {
  async postgres(dir, { initdb, postgres }) {
    const user = serverUser('postgres');
    const data = join(dir, 'data');
    runToEnd([initdb!, '-D', data, '-U', 'contend', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], user);
    const port = await freePort();
    return {
      port,
      url: `postgres://contend@127.0.0.1:${port}/postgres`,
      launch: async () => {
        // Dynamic shared memory as files in its data directory, removed with it: in /dev/shm
        // (the default) a killed server's segments would stay there until reboot.
        const server = await startServerProcess(
          [postgres!, '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200', '-c', 'dynamic_shared_memory_type=mmap'],
          /database system is ready to accept connections/,
          user,
          // Its fast shutdown: SIGTERM waits for every client to leave, and a lock's holder never does.
          'SIGINT',
        );
        removeInterlockWhenKilled(data, server);
        return server;
      },
    };
  },
  async redis(dir, { 'redis-server': redis }) {
    const port = await freePort();
    return {
      port,
      url: `redis://127.0.0.1:${port}`,
      // No persistence: a restart forgets every key, as a cache server would.
      launch: () => startServerProcess([redis!, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], /Ready to accept connections/),
    };
  },
  async etcd(dir, { etcd }) {
    const [port, peer] = [await freePort(), await freePort()];
    const client = `http://127.0.0.1:${port}`;
    const peers = `http://127.0.0.1:${peer}`;
    return {
      port,
      url: client,
      launch: () =>
        startServerProcess(
          [etcd!, '--name', 'contend', '--data-dir', join(dir, 'data'), '--listen-client-urls', client, '--advertise-client-urls', client, '--listen-peer-urls', peers, '--initial-advertise-peer-urls', peers, '--initial-cluster', `contend=${peers}`, '--unsafe-no-fsync'],
          /ready to serve client requests/,
        ),
    };
  },
};

/**
 * PostgreSQL's interlock, a small System V segment it removes on a clean shutdown only: a killed
 * server's (SIGKILL, contend's exit hook, the death signal) would stay until reboot, one per run,
 * up to the system's limit. Its id is in postmaster.pid; it is removed when the server ends any
 * other way than cleanly, and by the exit hook or the cleaner if contend ends first.
 */
function removeInterlockWhenKilled(data: string, server: ServerProcess): void {
  let id: number;
  try {
    id = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[6]?.trim().split(/\s+/)[1]);
  } catch {
    return;
  }
  if (!Number.isInteger(id) || id < 0) return;
  const ended = removeSharedMemoryAtExit(id);
  void server.exited.then((how) => ended(how !== 'exited with code 0'));
}

/**
 * Starts a throwaway server of the kind, for `neededBy` (named when its programs are missing). It
 * ends with this process whatever ends it; `stop()` ends it earlier and removes its files.
 */
export async function startServer(kind: ServerKind, neededBy = `a ${kind} server`): Promise<Server> {
  const programs = serverPrograms(kind, neededBy);
  const home = serverDirectory(kind, kind === 'postgres' ? serverUser('postgres') : undefined);
  let prepared: Prepared;
  let running: ServerProcess;
  try {
    prepared = await STARTERS[kind](home.dir, programs);
    running = await prepared.launch();
  } catch (error) {
    home.remove();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  let restarting: Promise<void> | undefined;
  return {
    address: { kind, host: '127.0.0.1', port: prepared.port, url: prepared.url },
    get process() {
      return running;
    },
    dir: home.dir,
    restart() {
      if (stopping) return Promise.reject(new ContendError('E_SERVER_START', `the ${kind} server was stopped: it cannot be restarted`));
      restarting ??= (async () => {
        await running.stop();
        running = await prepared.launch();
      })().finally(() => (restarting = undefined));
      return restarting;
    },
    // A stop during a restart waits for the new process, and ends that one.
    stop: () => (stopping ??= (restarting ?? Promise.resolve()).catch(() => {}).then(() => running.stop()).finally(() => home.remove())),
  };
}
