import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContendError } from '../errors.js';
import { crashPoints } from '../writes/crashpoints.js';
import { sameDocument } from '../writes/document.js';
import { traceDurability } from '../writes/durability.js';
import { withWorkspace } from '../workspace.js';
import { withHosts, type AuditHost } from './host.js';
import type { AuditedLibrary } from './libraries.js';
import type { AuditScenario } from './scenario.js';

const PROCESSES = 4;

/**
 * Read-modify-write increments by processes through the writer: first with no lock, every process
 * reading before any writes (the interleaving a busy server makes), then each increment under flock.
 */
const lostUpdates: AuditScenario = {
  id: 'lost-updates',
  role: 'writer',
  properties: ['no-lost-updates'],
  async run(lib) {
    return withWorkspace('contend-audit-', ({ dir }) =>
      withHosts(
        Array.from({ length: PROCESSES }, (_, i) => `counter-${i + 1}`),
        async (hosts) => {
          const path = join(dir, 'counter.json');
          const order = { writer: lib.name, strategy: lib.ref, path };
          const count = (): number => (JSON.parse(readFileSync(path, 'utf8')) as { count: number }).count;
          writeFileSync(path, JSON.stringify({ count: 0 }));
          for (const host of hosts) await host.call({ op: 'counter-read', ...order });
          for (const host of hosts) await host.call({ op: 'counter-write', ...order });
          const unlocked = count();
          writeFileSync(path, JSON.stringify({ count: 0 }));
          const lock = { lock: { builtin: 'flock' }, lockOptions: {}, lockPath: join(dir, 'counter.lock') };
          await Promise.all(hosts.map((host) => host.call({ op: 'locked-increment', lock, ...order })));
          const locked = count();
          const lost = PROCESSES - unlocked;
          return {
            'no-lost-updates': {
              verdict: lost === 0 ? 'yes' : 'no',
              detail: `${PROCESSES} processes each read, then each wrote +1: count ${unlocked} of ${PROCESSES}${lost ? ` (${lost} lost)` : ''}; with flock around each increment: ${locked} of ${PROCESSES}`,
            },
          };
        },
      ),
    );
  },
};

interface SaveEnd {
  saved?: boolean;
  code?: string;
  error?: string;
}

/**
 * Two processes save at once: the first is held just before its rename, the second saves up to its
 * own rename, then both go on in turn. Writers whose steps are synchronous cannot be held: for them
 * the two temp names the saves used tell whether they could collide.
 */
const concurrentSaves: AuditScenario = {
  id: 'concurrent-saves',
  role: 'writer',
  properties: ['temp-unique'],
  async run(lib) {
    return withWorkspace('contend-audit-', ({ dir }) =>
      withHosts(['first', 'second'], async ([a, b]) => {
        const path = join(dir, 'state.json');
        writeFileSync(path, JSON.stringify({ saved: 'old' }));
        const data = (who: string): string => JSON.stringify({ saved: who, padding: 'x'.repeat(4096) });
        const save = (host: AuditHost, who: string) => host.until({ op: 'save', strategy: lib.ref, path, data: data(who), pauseBefore: 'rename' });
        const first = save(a!, 'first');
        const reachedFirst = await first.reached;
        if (!reachedFirst) return { 'temp-unique': await byTempNames(lib, first.done, a!, b!, path, data) };
        const second = save(b!, 'second');
        const reachedSecond = await second.reached;
        await a!.call({ op: 'resume' });
        const endFirst = (await first.done) as SaveEnd;
        if (reachedSecond) await b!.call({ op: 'resume' });
        const endSecond = (await second.done) as SaveEnd;
        const holds = sameDocument(readFileSync(path, 'utf8'));
        const target = holds(data('second')) ? "the second's document" : holds(data('first')) ? "the first's document" : 'neither document';
        const both = endFirst.saved && endSecond.saved;
        const fate = (end: SaveEnd): string => (end.saved ? 'saved' : `failed with ${end.code ?? end.error}`);
        return {
          'temp-unique': {
            verdict: both && target === "the second's document" ? 'yes' : 'no',
            detail: `first held before its rename, second saved up to its own${reachedSecond ? '' : ' end'}; first ${fate(endFirst)}, second ${fate(endSecond)}; the target holds ${target}; left: ${others(dir, path)}`,
          },
        };
      }),
    );
  },
};

async function byTempNames(
  lib: AuditedLibrary,
  firstDone: Promise<Record<string, unknown>>,
  a: AuditHost,
  b: AuditHost,
  path: string,
  data: (who: string) => string,
): Promise<{ verdict: 'yes' | 'no'; detail: string }> {
  const end = (await firstDone) as SaveEnd;
  if (!/cannot pause/.test(end.error ?? '')) throw new ContendError('E_AUDIT', `${lib.name} saved without a rename to hold: ${JSON.stringify(end)}`);
  const temps = await Promise.all(
    [a, b].map(async (host, i) => {
      const done = (await host.call({ op: 'save', strategy: lib.ref, path, data: data(String(i)) })) as SaveEnd & { renamedFrom?: string };
      return done.renamedFrom;
    }),
  );
  const unique = temps[0] !== undefined && temps[0] !== temps[1];
  return {
    verdict: unique ? 'yes' : 'no',
    detail: `its saves are synchronous and cannot be held; two processes' saves renamed from ${temps.map((t) => t ?? '?').join(' and ')}`,
  };
}

const others = (dir: string, path: string): string =>
  readdirSync(dir)
    .filter((n) => join(dir, n) !== path)
    .join(', ') || 'nothing else';

/** SIGKILL just before each file-system step of a save over an older document (the crash points). */
const crash: AuditScenario = {
  id: 'crash',
  role: 'writer',
  properties: ['no-torn-target', 'no-orphan-temp'],
  async run(lib) {
    const table = await crashPoints({ strategy: lib.name, items: 2000 });
    const at = (p: (typeof table.points)[number]): string => (p.step ? `k=${p.k} (before ${p.step.op} ${p.step.detail})` : 'after the save');
    const torn = table.points.filter((p) => p.state !== 'old' && p.state !== 'new');
    const orphans = table.points.filter((p) => p.leftovers.length > 0);
    const steps = `${table.steps.length} steps: ${table.steps.map((s) => s.op).join(', ')}`;
    return {
      'no-torn-target': torn.length
        ? { verdict: 'no', detail: `${steps}; killed at ${torn.map((p) => `${at(p)}: ${p.state}`).join('; ')}` }
        : { verdict: 'yes', detail: `${steps}; old or new document at every kill point` },
      'no-orphan-temp': orphans.length
        ? { verdict: 'no', detail: `killed at ${orphans.map((p) => `${at(p)}: left ${p.leftovers.join(', ')}`).join('; ')}` }
        : { verdict: 'yes', detail: `${steps}; nothing but the target left at any kill point` },
    };
  },
};

/** The file-system calls of one save, read for fsyncs before and after the rename. */
const durability: AuditScenario = {
  id: 'durability',
  role: 'writer',
  properties: ['fsyncs-data', 'fsyncs-directory'],
  async run(lib) {
    const d = await traceDurability(lib.name);
    return {
      'fsyncs-data': { verdict: d.fsyncsData ? 'yes' : 'no', detail: d.evidence.data },
      'fsyncs-directory': d.renames
        ? { verdict: d.fsyncsDirectory ? 'yes' : 'no', detail: d.evidence.directory }
        : { verdict: 'n/a', detail: d.evidence.directory },
    };
  },
};

export const WRITER_SCENARIOS: readonly AuditScenario[] = [lostUpdates, concurrentSaves, crash, durability];
