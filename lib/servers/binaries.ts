import { accessSync, constants, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { ContendError } from '../errors.js';
import type { ServerKind } from './types.js';

/** A server's programs are not installed: what needs them, and how to install them, in one line. */
export class MissingServerError extends ContendError {
  readonly server: ServerKind;
  constructor(neededBy: string, server: ServerKind) {
    const { what, install } = NEEDS[server];
    super('E_MISSING_SERVER', `${neededBy} needs ${what}: ${install}, or put its programs on PATH`);
    this.server = server;
  }
}

const NEEDS: Record<ServerKind, { what: string; programs: string[]; install: string }> = {
  postgres: { what: "PostgreSQL's server (initdb, postgres)", programs: ['initdb', 'postgres'], install: 'apt-get install postgresql' },
  redis: { what: "Redis's server (redis-server)", programs: ['redis-server'], install: 'apt-get install redis-server' },
  etcd: { what: "etcd's server (etcd)", programs: ['etcd'], install: 'apt-get install etcd-server' },
};

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * Where to look: PATH, then (PostgreSQL) Debian's versioned directories, newest first, since its
 * package puts the server's programs there and only wrappers on PATH.
 */
function directories(server: ServerKind): string[] {
  const path = (process.env.PATH ?? '/usr/bin:/bin').split(delimiter).filter(Boolean);
  if (server !== 'postgres') return path;
  let versions: string[] = [];
  try {
    versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  } catch {
    // no Debian layout
  }
  return [...path, ...versions.map((v) => join('/usr/lib/postgresql', v, 'bin'))];
}

function findPrograms(server: ServerKind): Record<string, string> | undefined {
  const { programs } = NEEDS[server];
  for (const dir of directories(server)) {
    if (programs.every((p) => executable(join(dir, p)))) return Object.fromEntries(programs.map((p) => [p, join(dir, p)]));
  }
  return undefined;
}

/** The server's programs by name, all from one directory; MissingServerError when they are not there. */
export function serverPrograms(server: ServerKind, neededBy: string): Record<string, string> {
  const found = findPrograms(server);
  if (!found) throw new MissingServerError(neededBy, server);
  return found;
}

/** How to install the server's programs when they are not there (`apt-get install redis-server`); undefined when they are. */
export const serverInstall = (server: ServerKind): string | undefined => (findPrograms(server) ? undefined : NEEDS[server].install);
