import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerLock, runCase, unregisterLock } from '../lib/index.js';
import { explore } from '../lib/explore/index.js';
import { closeProcessPool } from '../lib/case/kinds/process.js';
import { builtinLocks, ownFileCode } from '../lib/locks/index.js';
import { runAudit } from '../lib/audit/index.js';
import { AuditHost } from '../lib/audit/host.js';
import { hostProcesses } from './support/leftovers.js';

const hasCertificates = (pid: number): boolean => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').some((v) => v.startsWith('NODE_EXTRA_CA_CERTS='));

/** Whether each process host under this one has NODE_EXTRA_CA_CERTS in its environment, by pid. */
function certificatesOfHosts(): boolean[] {
  return hostProcesses().map(hasCertificates);
}

describe('a process host starts without NODE_EXTRA_CA_CERTS only where no code of yours runs', () => {
  const saved = process.env.NODE_EXTRA_CA_CERTS;
  let dir: string;

  beforeAll(async () => {
    // In the file's own temporary directory, which the suite checks is left empty.
    dir = mkdtempSync(join(tmpdir(), 'certificates-'));
    // A real certificate (the first of Node's own bundle), so that the hosts that load it start cleanly.
    const file = join(dir, 'extra.pem');
    writeFileSync(file, rootCertificates[0]!);
    process.env.NODE_EXTRA_CA_CERTS = file;
    // Hosts started before with another environment must not be taken for these.
    await closeProcessPool();
    await registerLock({ module: new URL('./fixtures/needs-certificates.ts', import.meta.url).href, export: 'NeedsCertificatesAdapter' });
  });

  afterAll(async () => {
    await closeProcessPool();
    unregisterLock('needs-certificates');
    if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  test('own file code: built-in locks on no server, built-in write strategies', () => {
    const atomic = { builtin: 'atomic' };
    for (const [name, adapter] of builtinLocks) expect(ownFileCode({ lock: { builtin: name }, write: atomic }), name).toBe(adapter.server === undefined);
    expect(ownFileCode({ lock: { builtin: 'redis-lease' }, write: atomic })).toBe(false);
    expect(ownFileCode({ lock: { module: 'file:///my-lock.js', export: 'MyLock' }, write: atomic })).toBe(false);
    expect(ownFileCode({ lock: { builtin: 'flock' }, write: { module: 'file:///my-save.js', export: 'MySave' } })).toBe(false);
    expect(ownFileCode({ write: atomic })).toBe(true);
    expect(ownFileCode({ lock: { builtin: 'flock' } })).toBe(true);
    expect(ownFileCode({})).toBe(true);
  });

  test('hosts of a built-in file lock start without it; your adapter, after them, gets hosts with it', async () => {
    const own = await runCase({ kind: 'process', lock: 'flock', workers: 3 });
    expect(own.outcomes).toEqual(own.predicted);
    // The three hosts stay, idle, for the next case.
    expect(certificatesOfHosts()).toEqual([false, false, false]);
    // The adapter fails to be made where the variable is missing: an idle host of the case
    // before must not be given to it.
    const yours = await runCase({ kind: 'process', lock: 'needs-certificates', workers: 3 });
    expect(yours.outcomes).toEqual(yours.predicted);
    expect(certificatesOfHosts().sort()).toEqual([false, false, false, true, true, true]);
  });

  test('an exploration of your operations runs them with it, in processes', async () => {
    const r = await explore({ ops: { module: new URL('./fixtures/needs-certificates.ts', import.meta.url).href, export: 'needsCertificates' }, kind: 'process', workers: 2 });
    expect(r.failure?.outcome).toBeUndefined();
    expect(r.schedules).toBeGreaterThan(1);
  });

  test('an audit host starts without it only for a built-in row on no server', async () => {
    const yours = { module: 'file:///my-lock.js', export: 'MyLock' };
    const rows = [
      { role: 'lock', ref: { builtin: 'lockfile' }, spared: true },
      { role: 'writer', ref: { builtin: 'steno' }, spared: true },
      { role: 'lock', ref: { builtin: 'redis-lease' }, spared: false },
      { role: 'lock', ref: yours, spared: false },
      { role: 'writer', ref: yours, spared: false },
    ] as const;
    const hosts = rows.map((row, i) => new AuditHost(`row ${i + 1}`, row));
    try {
      const spared = await Promise.all(hosts.map(async (host) => !hasCertificates(await host.hostPid())));
      expect(spared).toEqual(rows.map((r) => r.spared));
    } finally {
      await Promise.all(hosts.map((h) => h.kill()));
    }
  });

  test("the audit of your lock runs it with it, in the holder's process", async () => {
    const report = await runAudit({ libraries: [{ name: 'needs-certificates', role: 'lock' }], properties: ['holder-killed'] });
    // Made in the holder (it would throw there without the variable), then never freed: O_EXCL.
    expect(report.cells.map((c) => [c.property, c.verdict, c.detail])).toEqual([['holder-killed', 'no', expect.stringContaining('nothing will free it')]]);
  });
});
