import type { Server } from './start.js';
import { serverUrlFromEnv, type ServerAddress, type ServerKind } from './types.js';

// One server of each kind for the whole run, started when a lock or storage first needs it. A
// module of its own, which loads what starts a server only then: closePools stops the shared
// servers at the end of every run, and most runs started none.
const shared = new Map<ServerKind, Promise<Server>>();

/**
 * The run's server of the kind: the user's (serverUrlFromEnv), or one started on first use;
 * `neededBy` names what needs it in errors.
 */
export async function sharedServer(kind: ServerKind, neededBy?: string): Promise<Pick<ServerAddress, 'kind' | 'url'>> {
  const given = serverUrlFromEnv(kind);
  if (given) return { kind, url: given };
  let server = shared.get(kind);
  if (!server) {
    server = import('./start.js').then(({ startServer }) => startServer(kind, neededBy));
    shared.set(kind, server);
    // A start that failed is tried again next time, not remembered.
    server.catch(() => shared.delete(kind));
  }
  return (await server).address;
}

/** Stops the run's shared servers and removes their files (closePools does it too). */
export async function stopSharedServers(): Promise<void> {
  const all = [...shared.values()];
  shared.clear();
  await Promise.all(all.map(async (s) => (await s.catch(() => undefined))?.stop()));
}
