import { join } from 'node:path';
import { serverPrograms } from './binaries.js';
import { freePort, runToEnd, serverDirectory, serverUser, startServerProcess, type ServerProcess } from './process.js';
import type { ServerAddress, ServerKind } from './types.js';

/** A throwaway server: its address, its process, and how to end it and remove its files. */
export interface Server {
  address: ServerAddress;
  process: ServerProcess;
  /** Its data, removed by stop(). */
  dir: string;
  /** Stops it (SIGTERM, then SIGKILL) and removes its directory; a second call does nothing. */
  stop(): Promise<void>;
}

/**
 * How each server is started: in a directory of its own, on 127.0.0.1 and a free port, with
 * nothing kept that a test does not need (no fsync, no snapshots), ready when its log says so.
 */
const STARTERS: Record<ServerKind, (dir: string, programs: Record<string, string>) => Promise<{ process: ServerProcess; port: number; url: string }>> = {
  async postgres(dir, { initdb, postgres }) {
    const user = serverUser('postgres');
    const data = join(dir, 'data');
    runToEnd([initdb!, '-D', data, '-U', 'contend', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], user);
    const port = await freePort();
    const process = await startServerProcess(
      [postgres!, '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'],
      /database system is ready to accept connections/,
      user,
    );
    return { process, port, url: `postgres://contend@127.0.0.1:${port}/postgres` };
  },
  async redis(dir, { 'redis-server': redis }) {
    const port = await freePort();
    // No persistence: a restart forgets every key, as a cache server would.
    const process = await startServerProcess([redis!, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], /Ready to accept connections/);
    return { process, port, url: `redis://127.0.0.1:${port}` };
  },
  async etcd(dir, { etcd }) {
    const [port, peer] = [await freePort(), await freePort()];
    const client = `http://127.0.0.1:${port}`;
    const peers = `http://127.0.0.1:${peer}`;
    const process = await startServerProcess(
      [etcd!, '--name', 'contend', '--data-dir', join(dir, 'data'), '--listen-client-urls', client, '--advertise-client-urls', client, '--listen-peer-urls', peers, '--initial-advertise-peer-urls', peers, '--initial-cluster', `contend=${peers}`, '--unsafe-no-fsync'],
      /ready to serve client requests/,
    );
    return { process, port, url: client };
  },
};

/**
 * Starts a throwaway server of the kind, for `neededBy` (named when its programs are missing). It
 * ends with this process whatever ends it; `stop()` ends it earlier and removes its files.
 */
export async function startServer(kind: ServerKind, neededBy = `a ${kind} server`): Promise<Server> {
  const programs = serverPrograms(kind, neededBy);
  const home = serverDirectory(kind, kind === 'postgres' ? serverUser('postgres') : undefined);
  let started: Awaited<ReturnType<(typeof STARTERS)[ServerKind]>>;
  try {
    started = await STARTERS[kind](home.dir, programs);
  } catch (error) {
    home.remove();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    address: { kind, host: '127.0.0.1', port: started.port, url: started.url },
    process: started.process,
    dir: home.dir,
    stop: () => (stopping ??= started.process.stop().finally(() => home.remove())),
  };
}
