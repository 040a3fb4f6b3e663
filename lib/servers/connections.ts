import { readFileSync } from 'node:fs';
import { retryWithin } from '../locks/wait.js';
import { fdTargets } from './process.js';

/** One TCP connection of a process, by its two ports. */
export interface TcpConnection {
  localPort: number;
  remotePort: number;
}

/** Rows of the kernel's TCP tables (IPv4 and IPv6), as `[local port, remote port, state, inode]`. */
function tcpRows(): [number, number, string, string][] {
  const rows: [number, number, string, string][] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const port = (address: string) => parseInt(address.slice(address.lastIndexOf(':') + 1), 16);
      rows.push([port(f[1]!), port(f[2]!), f[3]!, f[9]!]);
    }
  }
  return rows;
}

// ESTABLISHED and CLOSE_WAIT: the end still open, whether or not its peer has closed.
const OPEN = new Set(['01', '08']);

/**
 * The established TCP connections of a process, read from /proc: its socket descriptors, matched
 * to the kernel's TCP tables. Empty where /proc cannot be read.
 */
export function tcpConnectionsOf(pid: number): TcpConnection[] {
  const inodes = new Set(fdTargets(pid).flatMap((target) => /^socket:\[(\d+)\]$/.exec(target)?.[1] ?? []));
  if (!inodes.size) return [];
  return tcpRows()
    .filter(([, , state, inode]) => state === '01' && inodes.has(inode))
    .map(([localPort, remotePort]) => ({ localPort, remotePort }));
}

/** Whether the other end of a connection, when it is on this machine, still has it open. */
const peerOpen = (rows: [number, number, string, string][], c: TcpConnection): boolean =>
  rows.some(([local, remote, state]) => local === c.remotePort && remote === c.localPort && OPEN.has(state));

/**
 * Waits until the other ends of `connections` have closed them — a server has ended the sessions
 * of a client that died — up to `boundMs`. Resolves with the ms it waited, or undefined if an end
 * was still open then. An end on another machine is not seen, and counts as closed.
 */
export async function untilPeersClosed(connections: readonly TcpConnection[], boundMs: number, signal?: AbortSignal): Promise<number | undefined> {
  const started = performance.now();
  const closed = await retryWithin(
    () => {
      const rows = tcpRows();
      return !connections.some((c) => peerOpen(rows, c));
    },
    boundMs,
    { maxPollMs: 10, ...(signal ? { signal } : {}) },
  );
  return closed ? Math.round(performance.now() - started) : undefined;
}
