import { lockNames, lockRegistry } from '../../locks/registry.js';
import type { LockAdapter } from '../../locks/types.js';
import { formatColumns } from '../../case/report.js';
import { serverInstall } from '../../servers/binaries.js';
import { serverEnvName } from '../../servers/types.js';
import { missingPeers } from '../../support/peer.js';
import type { CommandFactory } from '../command.js';
import { emit } from '../io.js';

/**
 * What a lock needs that this machine lacks: its npm package (an optional peer of contend's), and
 * for a lock on a server the server's programs, unless the environment names a server of the
 * user's (CONTEND_REDIS_URL…), which contend then uses instead of starting one.
 */
function needs(adapter: LockAdapter): string[] {
  const install = adapter.server && !process.env[serverEnvName(adapter.server)] ? serverInstall(adapter.server) : undefined;
  return [...missingPeers(adapter.package ? [adapter.package] : []).map((p) => `npm install -D ${p}`), ...(install ? [install] : [])];
}

/** Its options with their defaults, as --lock-options takes them: `staleMs=10000 maxPollMs=8`. */
function defaultsText(adapter: LockAdapter): string {
  // A lock on a server starts a throwaway one when its url is left empty.
  const shown = Object.entries(adapter.defaults ?? {}).map(([key, value]) => (adapter.server && key === 'url' && value === '' ? 'url=(a throwaway server)' : `${key}=${String(value)}`));
  return shown.join(' ') || '-';
}

const locks: CommandFactory = () => ({
  builder: (y) => y,
  handler: async (argv) => {
    const adapters = lockNames().map((n) => lockRegistry.lookup(n).adapter);
    const yes = (b: boolean): string => (b ? 'yes' : 'no');
    const rows = adapters.map((a) => ({ name: a.name, excludes: a.excludes, needs: needs(a), defaults: a.defaults ?? {}, options: defaultsText(a), description: a.description }));
    await emit(
      argv.json,
      rows,
      formatColumns([
        ['lock', 'async', 'thread', 'process', 'needs here', 'options (--lock-options, defaults)', 'description'],
        ...rows.map((r) => [r.name, yes(r.excludes.async), yes(r.excludes.thread), yes(r.excludes.process), r.needs.join('; ') || '-', r.options, r.description]),
      ]),
    );
  },
});
export default locks;
