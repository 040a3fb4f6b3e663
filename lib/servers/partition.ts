import { connect, createServer, type Socket } from 'node:net';
import type { ServerAddress } from './types.js';

/** A way to a server that can be cut: the url to give a contender, and the cut itself. */
export interface PartitionableRoute {
  /** The server's url, through this route. */
  url: string;
  /**
   * Cuts the route: nothing passes either way, not even a close, as when a host's network goes
   * away. The server sees a connection that says nothing; the contender, calls that go unanswered.
   */
  partition(): void;
  /** Joins it again: what was held back passes, as TCP's retransmissions would deliver it. */
  heal(): void;
  close(): Promise<void>;
}

/**
 * A route to a server through a relay on 127.0.0.1 that can be partitioned: a contender that
 * connects through it can be cut off from the server while the others connect directly. A
 * partition in user space: it needs no privileges and no network namespace, and its cut is exact.
 * What it does not model: the relay's own sockets answer TCP keepalive probes, and a connection
 * made during the cut is accepted (by the relay) and reaches the server once it heals.
 */
export async function partitionableRoute(server: Pick<ServerAddress, 'url' | 'port'>): Promise<PartitionableRoute> {
  /** A contender's connection and the relay's to the server; `gone` once either side closed during a cut. */
  interface Pair {
    client: Socket;
    upstream: Socket;
    gone: boolean;
  }
  const pairs = new Set<Pair>();
  const waiting = new Set<Socket>();
  let cut = false;
  const drop = (pair: Pair): void => {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream.destroy();
  };
  const join = (client: Socket): void => {
    // Half-open allowed: an end passes as an end (through the pipes), and only while joined.
    const upstream = connect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true });
    const pair: Pair = { client, upstream, gone: false };
    pairs.add(pair);
    for (const socket of [client, upstream]) {
      socket.on('error', () => drop(pair));
      // A side that closes during the cut is not told to the other until the route heals.
      socket.on('close', () => (cut ? (pair.gone = true) : drop(pair)));
    }
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const relay = createServer({ allowHalfOpen: true }, (client) => {
    if (!cut) return join(client);
    // A connection made during the partition reaches the server only once it heals.
    client.pause();
    waiting.add(client);
    client.on('error', () => waiting.delete(client)).on('close', () => waiting.delete(client));
  });
  await new Promise<void>((resolve, reject) => relay.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = relay.address() as { port: number };
  return {
    url: server.url.replace(`:${server.port}`, `:${port}`),
    partition() {
      if (cut) return;
      cut = true;
      // Unpiped, which also stops the flow: a pipe would resume its source when the destination drains.
      for (const { client, upstream } of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    heal() {
      if (!cut) return;
      cut = false;
      for (const pair of [...pairs]) {
        if (pair.gone) drop(pair);
        else {
          pair.client.pipe(pair.upstream);
          pair.upstream.pipe(pair.client);
        }
      }
      for (const client of waiting) join(client);
      waiting.clear();
    },
    async close() {
      for (const pair of [...pairs]) drop(pair);
      for (const client of waiting) client.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}
