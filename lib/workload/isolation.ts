import type { OpRecord } from './protocol.js';
import { addDigest, entryDigest, subDigest, type Snapshot } from './manifest.js';

export const VIOLATION_KINDS = [
  'duplicate-version',
  'unacknowledged-commit',
  'lost-write',
  'uncommitted-read',
  'torn-read',
  'non-monotonic-read',
  'version-order',
  'duplicate-key',
] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

/** One broken guarantee, with the operations of the history that show it. */
export interface IsolationViolation {
  kind: ViolationKind;
  message: string;
  ops: OpRecord[];
}

export interface IsolationReport {
  ok: boolean;
  /** Every violation found, by kind. */
  counts: Partial<Record<ViolationKind, number>>;
  /** The first few of each kind, in full. */
  violations: IsolationViolation[];
  checked: { writes: number; reads: number; versions: number };
}

const KEPT_PER_KIND = 20;

/** How an operation is named in a report: `w2 op 14 put key_000012=w2-14 base v41 → ok v42`. */
export function describeOp(r: OpRecord): string {
  const what = r.f === 'read' ? 'read' : `${r.f} ${r.key}${r.value ? `=${r.value}` : ''} base v${r.base ?? '?'}`;
  const result = r.type === 'error' ? `error (${r.error})` : `${r.type} v${r.version}`;
  return `${r.client} op ${r.op}${r.attempt ? ` attempt ${r.attempt}` : ''} ${what} → ${result} [${r.start.toFixed(1)}–${r.end.toFixed(1)} ms]`;
}

/**
 * Checks a run's history against the final manifest, after the run (fusio-manifest's "track and verify
 * after"): every committed version was committed by exactly one acknowledged write; the final
 * manifest holds every acknowledged write that nothing later replaced; readers saw only states that
 * acknowledged writes produced, whole, and never went back in time; each writer's commits are in
 * its own order; no key appears twice.
 */
export function verifyIsolation(records: readonly OpRecord[], final: Snapshot): IsolationReport {
  const violations: IsolationViolation[] = [];
  const counts: Partial<Record<ViolationKind, number>> = {};
  const report = (kind: ViolationKind, message: string, ops: OpRecord[]): void => {
    counts[kind] = (counts[kind] ?? 0) + 1;
    if (counts[kind]! <= KEPT_PER_KIND) violations.push({ kind, message, ops });
  };

  const writes = records.filter((r) => r.f !== 'read' && r.type === 'ok');
  const reads = records.filter((r) => r.f === 'read');
  const byVersion = new Map<number, OpRecord[]>();
  for (const w of writes) byVersion.set(w.version!, [...(byVersion.get(w.version!) ?? []), w]);
  const ambiguous = new Set<number>();
  for (const [version, ops] of byVersion) {
    if (ops.length > 1) {
      ambiguous.add(version);
      report('duplicate-version', `${ops.length} acknowledged writes all committed version ${version}: all but one were overwritten`, ops);
    }
  }

  // The committed states, rebuilt from the acknowledged writes in version order.
  let top = 0;
  for (const v of byVersion.keys()) if (v > top) top = v;
  const state = new Map<string, OpRecord>();
  const digests = new Map<number, number>([[0, 0]]);
  let digest = 0;
  for (let v = 1; v <= top; v++) {
    const ops = byVersion.get(v);
    if (!ops) {
      report('unacknowledged-commit', `version ${v} was committed by no acknowledged write`, []);
      continue;
    }
    for (const w of ops) {
      const before = state.get(w.key!);
      if (before?.value !== undefined) digest = subDigest(digest, entryDigest(w.key!, before.value));
      if (w.f === 'put') {
        state.set(w.key!, w);
        digest = addDigest(digest, entryDigest(w.key!, w.value!));
      } else state.delete(w.key!);
    }
    digests.set(v, digest);
  }

  if (final.version !== top) {
    report(
      final.version > top ? 'unacknowledged-commit' : 'lost-write',
      `the final manifest is at version ${final.version}, the last acknowledged write committed version ${top}`,
      byVersion.get(top) ?? [],
    );
  }
  const writerOfValue = new Map(writes.filter((w) => w.value).map((w) => [w.value!, w]));
  for (const key of new Set([...state.keys(), ...final.entries.keys()])) {
    const expected = state.get(key);
    const found = final.entries.get(key);
    if (expected?.value === found?.value) continue;
    const lastDelete = expected ? undefined : writes.filter((w) => w.key === key).sort((a, b) => b.version! - a.version!)[0];
    const shown = found ? `${found.value} (version ${found.version})` : 'nothing';
    const ops = [expected ?? lastDelete, found && writerOfValue.get(found.value)].filter((o): o is OpRecord => !!o);
    report(
      'lost-write',
      expected
        ? `${key}: the acknowledged write of ${expected.value} at version ${expected.version} is not in the final manifest, which has ${shown}`
        : `${key}: ${lastDelete ? `the acknowledged delete at version ${lastDelete.version} was lost` : 'no acknowledged write put it there'}; the final manifest has ${shown}`,
      ops,
    );
  }
  for (const key of final.duplicates) report('duplicate-key', `the final manifest holds ${key} more than once`, []);

  // A writer's snapshot that did not parse is as much a torn read as a reader's.
  for (const r of records) if (r.type === 'error') report('torn-read', `${r.client} read a manifest that was not whole: ${r.error}`, [r]);
  const lastRead = new Map<string, OpRecord>();
  for (const r of reads) {
    if (r.type === 'error') continue;
    for (const key of r.duplicates ?? []) report('duplicate-key', `${r.client} read a manifest holding ${key} more than once`, [r]);
    const previous = lastRead.get(r.client);
    if (previous && previous.version! > r.version!) {
      report('non-monotonic-read', `${r.client} read version ${r.version} after version ${previous.version}`, [previous, r]);
    }
    lastRead.set(r.client, r);
    if (ambiguous.has(r.version!)) continue;
    const committed = digests.get(r.version!);
    if (committed === undefined) report('uncommitted-read', `${r.client} read version ${r.version}, which no acknowledged write committed`, [r]);
    else if (committed !== r.digest) {
      report('uncommitted-read', `${r.client} read version ${r.version} with contents (${r.size} keys) other than the committed state at that version`, [r, ...(byVersion.get(r.version!) ?? [])]);
    }
  }

  const lastCommit = new Map<string, OpRecord>();
  for (const w of writes) {
    const previous = lastCommit.get(w.client);
    if (previous && previous.version! >= w.version!) {
      report('version-order', `${w.client} committed version ${w.version} after its own version ${previous.version}`, [previous, w]);
    }
    lastCommit.set(w.client, w);
  }

  return { ok: violations.length === 0, counts, violations, checked: { writes: writes.length, reads: reads.length, versions: top } };
}

/** The report as lines: a summary per kind, then each kept violation with its operations. */
export function formatIsolation(report: IsolationReport): string {
  if (report.ok) return `isolation: ok (${report.checked.writes} acknowledged writes, ${report.checked.reads} reads, ${report.checked.versions} versions)`;
  const lines = [`isolation: VIOLATED — ${Object.entries(report.counts).map(([k, n]) => `${k} ×${n}`).join(', ')}`];
  for (const v of report.violations) {
    lines.push(`  ${v.kind}: ${v.message}`);
    for (const op of v.ops) lines.push(`    ${describeOp(op)}`);
  }
  return lines.join('\n');
}
