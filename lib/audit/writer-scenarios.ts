import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ContendError } from '../errors.js';
import { retryWithin } from '../locks/wait.js';
import { formatVector } from '../case/outcome.js';
import { crashPoints, type CrashPoint } from '../stress/crashpoints.js';
import { sameDocument } from '../writes/document.js';
import { traceDurability } from '../stress/durability.js';
import { AuditHost, pausedAt, straceAvailable, withHosts } from './host.js';
import type { SaveEnd } from './protocol.js';
import type { AuditedLibrary } from './libraries.js';
import { notShown, untraced, type AuditScenario, type Finding } from './scenario.js';

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
    return withHosts(
      lib,
      Array.from({ length: PROCESSES }, (_, i) => `counter-${i + 1}`),
      async (hosts, { dir }) => {
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
    );
  },
};

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
    return withHosts(lib, ['first', 'second'], async ([a, b], { dir }) => {
      const path = join(dir, 'state.json');
      writeFileSync(path, JSON.stringify({ saved: 'old' }));
      const data = (who: string): string => JSON.stringify({ saved: who, padding: 'x'.repeat(4096) });
      const save = (host: AuditHost, who: string) => host.until({ op: 'save', strategy: lib.ref, path, data: data(who), pauseBefore: 'rename' });
      const first = save(a!, 'first');
      const reachedFirst = await first.reached;
      if (!reachedFirst) return { 'temp-unique': await unheld(lib, await first.done, b!, path) };
      const second = save(b!, 'second');
      const reachedSecond = await second.reached;
      await first.resume();
      const endFirst = await first.done;
      if (reachedSecond) await second.resume();
      const endSecond = await second.done;
      const holds = sameDocument(readFileSync(path, 'utf8'));
      const target = holds(data('second')) ? "the second's document" : holds(data('first')) ? "the first's document" : 'neither document';
      // With one temp name, the second's save overwrote the first's temp file before the first renamed it.
      const published = endFirst.saved && !endSecond.saved && target === "the second's document" ? "; the first's rename published the second's document" : '';
      const both = endFirst.saved && endSecond.saved;
      const fate = (end: SaveEnd): string => (end.saved ? 'saved' : `failed with ${end.code ?? end.error}`);
      const left = others(dir, path);
      const shared = sharedTemp(pausedAt(reachedFirst), pausedAt(reachedSecond), path);
      const torn = shared ? `; ${await tornRead(lib, path, shared)}` : '';
      return {
        'temp-unique': {
          verdict: both && target === "the second's document" ? 'yes' : 'no',
          detail: `first held before its rename, second saved up to its own${reachedSecond ? '' : ' end'}; first ${fate(endFirst)}, second ${fate(endSecond)}; the target holds ${target}${published}; left: ${left}${torn}`,
        },
      };
    });
  },
};

// The first save ran through without being held: it has no rename, or its rename is synchronous,
// or the trace did not see it at all.
async function unheld(lib: AuditedLibrary, end: SaveEnd, second: AuditHost, path: string): Promise<Finding> {
  if (!end.saved) throw new ContendError('E_AUDIT', `${lib.name} failed before its rename: ${JSON.stringify(end)}`);
  if (!end.traced) return notShown('the save made no write or rename the traced fs could see (another process, a native addon, or fs functions captured before contend loaded): it could not be held, nor its temp file seen');
  if (!end.unholdable && !end.renamedFrom) return { verdict: 'n/a', detail: 'it writes the target in place, with no temp file to share (its in-place writes are judged by "no torn target")' };
  if (!end.renamedFrom) throw new ContendError('E_AUDIT', `${lib.name} renamed synchronously, but not onto the target the trace expected`);
  const other = await second.call({ op: 'save', strategy: lib.ref, path, data: JSON.stringify({ saved: 'second' }) });
  const theirs = other.saved ? other.renamedFrom : undefined;
  const unique = theirs !== undefined && theirs !== end.renamedFrom;
  return {
    verdict: unique ? 'yes' : 'no',
    detail: `its rename is synchronous, so a save cannot be held; two processes' saves renamed ${end.renamedFrom} and ${theirs ?? '?'}: ${unique ? 'each its own temp file' : 'one shared temp name'}`,
  };
}

/** The temp file both held saves were about to rename, if it is one and the same. */
function sharedTemp(first: string | undefined, second: string | undefined, path: string): string | undefined {
  const temp = (step: string | undefined): string | undefined => (step === undefined ? undefined : /^rename (.+) → (.+)$/.exec(step)?.[1]);
  const t = temp(first);
  return t !== undefined && t === temp(second) && t !== path ? t : undefined;
}

/**
 * Two saves into one temp name, the second stopped by strace inside its write (after the first
 * 512 KiB chunk of a 2 MiB document): the first renames the shared temp file, and a reader of the
 * target finds what was written so far.
 */
async function tornRead(lib: AuditedLibrary, path: string, temp: string): Promise<string> {
  if (!straceAvailable()) return 'strace is not installed, so no save can be stopped inside a write: no torn read shown';
  const big = (who: string): string => JSON.stringify({ saved: who, padding: 'x'.repeat(2 * 1024 * 1024) });
  writeFileSync(path, JSON.stringify({ saved: 'old' }));
  const a = new AuditHost('first', lib);
  // Stopped (SIGSTOP, injected) when a thread first writes to the temp file; the write itself goes
  // through. strace's own log says when the stop has happened.
  const log = join(dirname(path), 'strace.log');
  const writes = 'write,pwrite64,writev,pwritev';
  const b = new AuditHost('second', lib, { strace: ['-f', '-qq', '-o', log, '-P', temp, '-e', `trace=${writes}`, '-e', `inject=${writes}:signal=SIGSTOP:when=1`] });
  try {
    await b.hostPid();
    const first = a.until({ op: 'save', strategy: lib.ref, path, data: big('first'), pauseBefore: 'rename' });
    if (!(await first.reached)) throw new ContendError('E_AUDIT', `${lib.name}'s first save was not held before its rename`);
    const second = b.until({ op: 'save', strategy: lib.ref, path, data: big('second') });
    second.done.catch(() => {});
    await stopped(log);
    const written = statSync(temp).size;
    await first.resume();
    const end = await first.done;
    const text = readFileSync(path, 'utf8');
    const holds = sameDocument(text);
    const found = holds(big('second')) ? "the second's whole document" : holds(big('first')) ? "the first's document" : `a torn document (${text.length} bytes, not JSON)`;
    return `with the second stopped inside its write (strace) after ${written} bytes, the first's rename ${end.saved ? 'went through' : `failed (${end.code ?? end.error})`} and a reader of the target found ${found}`;
  } finally {
    await Promise.all([a.kill(), b.kill()]);
  }
}

/** Waits until strace logs the injected stop (the process's state alone cannot tell it from strace's own syscall stops). */
async function stopped(log: string): Promise<void> {
  const logged = (): boolean => existsSync(log) && /stopped by SIGSTOP/.test(readFileSync(log, 'utf8'));
  if (!(await retryWithin(logged, 30_000, { maxPollMs: 10 }))) throw new ContendError('E_AUDIT', 'the second save was not stopped inside its write within 30 s');
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
    let table: Awaited<ReturnType<typeof crashPoints>>;
    try {
      table = await crashPoints({ strategy: lib.name, items: 2000 });
    } catch (error) {
      if (!untraced(error)) throw error;
      return { 'no-torn-target': notShown(error.message), 'no-orphan-temp': notShown(error.message) };
    }
    const torn = table.points.filter((p) => p.state !== 'old' && p.state !== 'new');
    // One writeFile call into the target truncates it, then writes: a kill inside it tears the
    // target, but the trace cannot stop inside one call, so it is read off the call itself.
    const inPlace = table.steps.find((s) => (s.op === 'writeFile' || s.op === 'appendFile') && / to state\.json$/.test(s.detail));
    if (!torn.length && inPlace) {
      torn.push({ k: table.steps.indexOf(inPlace) + 1, step: inPlace, state: 'torn', leftovers: [] });
    }
    const orphans = table.points.filter((p) => p.leftovers.length > 0);
    const steps = `${table.steps.length} steps (${formatVector(table.steps.map((s) => s.op)).slice(1, -1)})`;
    return {
      'no-torn-target': torn.length
        ? {
            verdict: 'no',
            detail: inPlace && torn.length === 1 && torn[0]!.step === inPlace
              ? `${steps}; it writes the target in place with one ${inPlace.op} call, which truncates before it writes: a SIGKILL within that call leaves the target empty or partial (read off the call: no crash point falls inside one call)`
              : `${steps}; SIGKILL ${runs(torn, (p) => p.state)}`,
          }
        : { verdict: 'yes', detail: `${steps}; old or new document after a SIGKILL before any of them` },
      'no-orphan-temp': orphans.length
        ? { verdict: 'no', detail: `${steps}; SIGKILL ${runs(orphans, (p) => `left ${p.leftovers.join(', ')}`)}` }
        : { verdict: 'yes', detail: `${steps}; nothing but the target left after a SIGKILL before any of them` },
    };
  },
};

/** `before step 2: empty; before steps 3–17: torn`: crash points with the same result, as runs of steps. */
function runs(points: CrashPoint[], result: (p: CrashPoint) => string): string {
  const parts: string[] = [];
  for (let i = 0; i < points.length; ) {
    let j = i;
    while (j + 1 < points.length && points[j + 1]!.k === points[j]!.k! + 1 && result(points[j + 1]!) === result(points[i]!)) j++;
    const [from, to] = [points[i]!.k, points[j]!.k];
    const where = from === null ? 'after the save' : from === to ? `before step ${from} (${points[i]!.step!.op})` : `before steps ${from}–${to}`;
    parts.push(`${where}: ${result(points[i]!)}`);
    i = j + 1;
  }
  return parts.join('; ');
}

/** The file-system calls of one save, read for fsyncs before and after the rename. */
const durability: AuditScenario = {
  id: 'durability',
  role: 'writer',
  properties: ['fsyncs-data', 'fsyncs-directory'],
  async run(lib) {
    let d: Awaited<ReturnType<typeof traceDurability>>;
    try {
      d = await traceDurability(lib.name);
    } catch (error) {
      if (!untraced(error)) throw error;
      return { 'fsyncs-data': notShown(error.message), 'fsyncs-directory': notShown(error.message) };
    }
    return {
      'fsyncs-data': { verdict: d.fsyncsData ? 'yes' : 'no', detail: d.evidence.data },
      'fsyncs-directory': d.renames
        ? { verdict: d.fsyncsDirectory ? 'yes' : 'no', detail: d.evidence.directory }
        : { verdict: 'n/a', detail: d.evidence.directory },
    };
  },
};

/**
 * One save, recorded in a child process and put through every power cut ALICE's model allows
 * (doc/powerloss.md): the states that are torn, empty, missing or lose the returned save.
 */
const powerLoss: AuditScenario = {
  id: 'power-loss',
  role: 'writer',
  properties: ['survives-power-loss'],
  async run(lib) {
    // Loaded here: only this column needs the model.
    const [{ runPowerloss }, { DEFAULT_BAD }] = await Promise.all([import('../powerloss/run.js'), import('../powerloss/judge.js')]);
    const row = (await runPowerloss({ strategies: [lib.name], kind: 'process' })).rows[0]!;
    const of = `one save (${row.operations} operations) can leave ${row.states} states after a power cut`;
    if (row.unaccounted.length) return { 'survives-power-loss': notShown(`the traced fs calls do not give ${row.unaccounted.join(', ')} as the save left it, so its crash states prove nothing`) };
    const rank = (kind: string): number => (DEFAULT_BAD as readonly string[]).indexOf(kind);
    const kinds = Object.keys(row.bad).sort((a, b) => rank(a) - rank(b));
    if (!kinds.length) return { 'survives-power-loss': { verdict: 'yes', detail: `${of}, none torn, empty, missing or losing the returned save` } };
    const total = kinds.reduce((n, k) => n + row.bad[k]!, 0);
    return {
      'survives-power-loss': {
        verdict: 'no',
        detail: `${of}; ${total} bad: ${kinds.map((k) => `${k} ${row.bad[k]}`).join(', ')}; shortest road to ${kinds[0]}: ${row.shortest[kinds[0]!]}`,
      },
    };
  },
};

export const WRITER_SCENARIOS: readonly AuditScenario[] = [lostUpdates, concurrentSaves, crash, durability, powerLoss];
