import { connect, createServer, type Socket } from 'node:net';
import type { ServerAddress } from './types.js';

/** A way to a server that can be cut: the url to give a contender, and the cut itself. */
export interface PartitionableRoute {
  /** The server's url, through this route. */
  url: string;
  /**
   * Cuts the route: nothing passes either way, and no connection is closed, as when a host's
   * network goes away. The server sees a connection that says nothing; the contender, calls
   * that go unanswered.
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
 */
export async function partitionableRoute(server: Pick<ServerAddress, 'url' | 'port'>): Promise<PartitionableRoute> {
  const pairs = new Set<[Socket, Socket]>();
  const waiting = new Set<Socket>();
  let cut = false;
  const join = (client: Socket): void => {
    const upstream = connect(server.port, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of pair) socket.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const relay = createServer((client) => {
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
      cut = true;
      // Unpiped, not only paused: a pipe resumes its source when the destination drains.
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    heal() {
      cut = false;
      for (const [client, upstream] of pairs) {
        client.pipe(upstream);
        upstream.pipe(client);
      }
      for (const client of waiting) join(client);
      waiting.clear();
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      for (const client of waiting) client.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    },
  };
}
