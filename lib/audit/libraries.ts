import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lockNames, lockOptionsOf, lockRegistry } from '../locks/registry.js';
import { InvalidOptionError } from '../errors.js';
import { builtinLocks } from '../locks/index.js';
import type { AdapterRef, LockAdapter } from '../locks/types.js';
import { packageRoot } from '../support/paths.js';
import { requirePeers } from '../support/peer.js';
import type { Registered } from '../modules/registry.js';
import { builtinWrites, writeRegistry, writeStrategyNames, type WriteStrategy } from '../writes/index.js';
import type { Role } from './properties.js';

/** One row of the audit: a lock adapter or a write strategy, with the options it is run with. */
export interface AuditedLibrary {
  /** The adapter or strategy name, as `--lock` and `--write` take it. */
  name: string;
  /** The row's name: the name, and the options when there are any. */
  label: string;
  role: Role;
  description: string;
  /** The npm package it wraps, and the version installed. */
  package?: string;
  version?: string;
  /** Shipped with contend (not registered from a module of the user's). */
  builtin: boolean;
  ref: AdapterRef;
  /** Lock options the audit runs it with (locks only). */
  lockOptions: Record<string, unknown>;
}

/** A row to audit: a name, and for locks the options to run it with. */
export interface LibrarySpec {
  name: string;
  role: Role;
  lockOptions?: Record<string, unknown>;
}

/**
 * The rows `contend audit` runs by default. Locks that reclaim stale locks are run with the shortest
 * stale time they allow, so that a dead holder's lock is recovered within the run; npm's lockfile
 * runs twice, as it comes (no staleness at all) and with `stale`.
 */
export const DEFAULT_LIBRARIES: readonly LibrarySpec[] = [
  { name: 'flock', role: 'lock' },
  { name: 'fs-ext', role: 'lock' },
  { name: 'os-lock', role: 'lock' },
  { name: 'lockfile', role: 'lock', lockOptions: { staleMs: 2000, updateMs: 1000 } },
  { name: 'npm-lockfile', role: 'lock' },
  { name: 'npm-lockfile', role: 'lock', lockOptions: { staleMs: 2000 } },
  { name: 'truncate', role: 'writer' },
  { name: 'write-file-atomic', role: 'writer' },
  { name: 'atomically', role: 'writer' },
  { name: 'steno', role: 'writer' },
  { name: 'lowdb', role: 'writer' },
  { name: 'conf', role: 'writer' },
];

/**
 * The rows of the locks on a server, run when named (`--libraries redis-lease`): each starts a
 * server. Leases run with a 2 s TTL, so that a lost holder's lease runs out within the run, and each
 * call to a server may go 2 s unanswered, so that a paused server's contenders give up soon.
 */
export const SERVER_LIBRARIES: readonly LibrarySpec[] = [
  { name: 'pg-advisory', role: 'lock', lockOptions: { timeoutMs: 2000 } },
  { name: 'pg-advisory-xact', role: 'lock', lockOptions: { timeoutMs: 2000 } },
  { name: 'redis-lease', role: 'lock', lockOptions: { ttlMs: 2000, timeoutMs: 2000 } },
  { name: 'redlock', role: 'lock', lockOptions: { ttlMs: 2000, timeoutMs: 2000 } },
  { name: 'etcd-lease', role: 'lock', lockOptions: { ttlMs: 2000, timeoutMs: 2000 } },
];

/**
 * The rows for names: a default row's name gives its default rows (npm-lockfile gives two), a lock
 * on a server its row of SERVER_LIBRARIES, any other
 * lock or write strategy (built in, or registered with --lock-module / --write-module) one row.
 * Given `lockOptions`, every named lock gets one row run with them instead. Without names: the
 * defaults, then every registered one. Built-in rows whose packages are not installed are refused,
 * every such package named in one MissingPeerError.
 */
export function librarySpecs(names?: readonly string[], lockOptions: Record<string, unknown> = {}): LibrarySpec[] {
  const locks = lockNames();
  const writers = writeStrategyNames();
  const registered = [...locks.filter((n) => !builtinLocks.has(n)), ...writers.filter((n) => !builtinWrites.has(n))];
  const specs = (names ?? [...new Set([...DEFAULT_LIBRARIES.map((l) => l.name), ...registered])]).flatMap((name): LibrarySpec[] => {
    const defaults = [...DEFAULT_LIBRARIES, ...SERVER_LIBRARIES].filter((l) => l.name === name);
    const custom = Object.keys(lockOptions).length > 0;
    if (defaults.length && !(custom && defaults[0]!.role === 'lock')) return defaults;
    if (locks.includes(name)) {
      // Checked here, before the first scenario: a value the library would quietly change is refused.
      lockOptionsOf(lockRegistry.lookup(name).adapter, lockOptions);
      return [{ name, role: 'lock', lockOptions }];
    }
    if (writers.includes(name)) return [{ name, role: 'writer' }];
    throw new InvalidOptionError('libraries', [...new Set([...locks, ...writers])].join(', '), name);
  });
  // Every package missing in one message, before the first scenario, rather than one per run.
  requirePeers('the audit', specs.map((spec) => builtinPackage(resolveRow(spec))));
  return specs;
}

/**
 * The package a built-in adapter wraps: an optional peer of contend's, looked for where contend is.
 * A user's adapter loads its package from its own module, which registering it has imported already.
 */
const builtinPackage = ({ adapter, ref }: Registered<{ package?: string }>): string | undefined => ('builtin' in ref ? adapter.package : undefined);

// Looked up without the peer check of resolve: the audit names every missing package at once.
const resolveRow = (spec: LibrarySpec): Registered<LockAdapter | WriteStrategy> => (spec.role === 'lock' ? lockRegistry.lookup(spec.name) : writeRegistry.lookup(spec.name));

export function rowLabel(name: string, lockOptions: Record<string, unknown> = {}): string {
  const options = Object.entries(lockOptions).map(([k, v]) => `${k}=${String(v)}`);
  return options.length ? `${name} (${options.join(', ')})` : name;
}

/**
 * Resolves a row: the adapter or strategy by name (built-in or registered), and its package's
 * version. A built-in row whose package is not installed is refused (MissingPeerError).
 */
export function auditedLibrary(spec: LibrarySpec): AuditedLibrary {
  const resolved = resolveRow(spec);
  const { adapter, ref } = resolved;
  const lockOptions = spec.lockOptions ?? {};
  const label = rowLabel(spec.name, lockOptions);
  requirePeers(`the audit of ${label}`, [builtinPackage(resolved)]);
  return {
    name: spec.name,
    label,
    role: spec.role,
    description: adapter.description,
    ...(adapter.package ? { package: adapter.package, version: packageVersion(adapter.package, 'module' in ref ? moduleDir(ref.module) : undefined) } : {}),
    builtin: 'builtin' in ref,
    ref,
    lockOptions,
  };
}

const moduleDir = (module: string): string | undefined => (module.startsWith('file:') ? dirname(fileURLToPath(module)) : undefined);

/**
 * The version of an installed package, looked up as Node looks up a bare name: from the adapter's
 * own module first (a user's adapter wraps the user's copy), then from the working directory and
 * from contend, and up from each.
 */
export function packageVersion(name: string, from?: string): string | undefined {
  for (const start of [from, process.cwd(), packageRoot].filter((d): d is string => d !== undefined)) {
    for (let dir = start; ; dir = dirname(dir)) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
        return pkg.version;
      } catch {
        // not installed here: look further up
      }
      if (dirname(dir) === dir) break;
    }
  }
  return undefined;
}
