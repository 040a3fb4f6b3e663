import { createRequire } from 'node:module';
import { MissingPeerError } from '../errors.js';

// The libraries contend audits and the plotting stack are optional peers: installed by those who
// use them, and loaded only when used, so that testing one's own lock needs neither a native build
// nor vega.

const require = createRequire(import.meta.url);

/**
 * Whether an error says that a package itself is not there (`Cannot find package 'vega'`,
 * `Cannot find module 'os-lock'`), and which of `names` it is. A file missing inside a package, or
 * a package it depends on, is a broken install: its own message says more than ours would.
 */
function missingOf(error: unknown, names: readonly string[]): string | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if ((code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') || typeof message !== 'string') return undefined;
  const quoted = /^Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
  return names.find((name) => quoted === name || quoted?.startsWith(`${name}/`));
}

/**
 * The packages of `names` that are not installed where contend is, in the order given. It looks
 * for the package's own directory, not its entry, so a package whose exports hide package.json
 * counts as there. Require's lookup also reads NODE_PATH, which import() does not: a package found
 * only there passes this check, and importPeer still names it when its import fails.
 */
export function missingPeers(names: readonly string[]): string[] {
  return names.filter((name) => {
    try {
      require.resolve(`${name}/package.json`);
      return false;
    } catch (error) {
      return missingOf(error, [name]) !== undefined;
    }
  });
}

/**
 * Throws a MissingPeerError naming every package of `names` that is not installed: for callers that
 * know what they will load, to refuse before any work starts rather than halfway through it.
 *
 * @param neededBy what needs them, in the singular (`the os-lock lock`, `the audit`)
 * @param names undefined entries (an adapter that wraps no package) are skipped
 */
export function requirePeers(neededBy: string, names: readonly (string | undefined)[]): void {
  const missing = missingPeers([...new Set(names.filter((n): n is string => n !== undefined))]);
  if (missing.length) throw new MissingPeerError(neededBy, missing);
}

/**
 * Loads optional peers on first use. `load` is the import itself, written where the package is used
 * so its types follow (`() => import('steno')`; a native CommonJS module may be required through
 * createRequire). When it fails because one of `names` is not installed, the error is a
 * MissingPeerError naming every one of them that is missing; any other failure is thrown as it is.
 *
 * @param names the package, or packages, that `load` imports
 * @param neededBy what needs them, in the singular (`the os-lock lock`, `plotting`)
 */
export async function importPeer<T>(names: string | readonly string[], neededBy: string, load: () => T | Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const list = typeof names === 'string' ? [names] : names;
    const named = missingOf(error, list);
    if (named === undefined) throw error;
    const missing = missingPeers(list);
    throw new MissingPeerError(neededBy, missing.length ? missing : [named]);
  }
}
