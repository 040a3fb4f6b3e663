import { formatColumns } from '../case/report.js';
import type { Role } from './properties.js';
import type { AuditCell, AuditReport } from './audit.js';

const ROLES: [Role, string][] = [
  ['lock', 'Locks'],
  ['writer', 'Writers'],
];

/** `yes`, `no`, `n/a`, with the time measured where there is one: `yes, 2.1 s`. */
function mark(cell: AuditCell | undefined): string {
  if (!cell) return '';
  if (cell.ms === undefined) return cell.verdict;
  if (cell.ms === 0) return `${cell.verdict}, at once`;
  return `${cell.verdict}, ${cell.ms < 1000 ? `${cell.ms} ms` : `${(cell.ms / 1000).toFixed(1)} s`}`;
}

function grid(report: AuditReport, role: Role): { header: string[]; rows: string[][] } | undefined {
  const properties = report.properties.filter((p) => p.role === role);
  const libraries = report.libraries.filter((l) => l.role === role);
  if (!properties.length || !libraries.length) return undefined;
  const cell = (library: string, property: string) => report.cells.find((c) => c.library === library && c.property === property);
  return {
    header: [role === 'lock' ? 'lock' : 'writer', 'version', ...properties.map((p) => p.title)],
    rows: libraries.map((l) => [l.label, l.package ? `${l.package}@${l.version ?? '?'}` : l.builtin ? 'built in' : '-', ...properties.map((p) => mark(cell(l.label, p.id)))]),
  };
}

/** `steno · concurrent saves: no`: which cell, and its mark. */
function cellName(report: AuditReport, c: AuditCell): string {
  return `${c.library} · ${report.properties.find((p) => p.id === c.property)!.title}: ${mark(c)}`;
}

/** The conformance table for a terminal: one block per role, then every cell's observation and the test that pins it. */
export function formatAudit(report: AuditReport): string {
  const out: string[] = [`contend ${report.contend} audit on Node ${report.node}, ${report.platform}`];
  for (const [role, title] of ROLES) {
    const g = grid(report, role);
    if (g) out.push('', title, formatColumns([g.header, ...g.rows]));
  }
  out.push('', 'Evidence', ...report.cells.map((c) => `${cellName(report, c)} — ${c.detail}\n    test: ${c.evidence}`));
  return out.join('\n');
}

const escape = (text: string): string => text.replace(/\|/g, '\\|');

/** The same as Markdown, for a README: a table per role, a legend, and the evidence list. */
export function formatAuditMarkdown(report: AuditReport): string {
  const out: string[] = [`contend ${report.contend} audit, Node ${report.node}, ${report.platform}.`];
  for (const [role, title] of ROLES) {
    const g = grid(report, role);
    if (!g) continue;
    out.push('', `### ${title}`, '', `| ${g.header.map(escape).join(' | ')} |`, `|${g.header.map(() => ' --- ').join('|')}|`);
    for (const row of g.rows) out.push(`| ${row.map(escape).join(' | ')} |`);
  }
  out.push('', '### What each column asks', '');
  for (const p of report.properties) out.push(`- **${p.title}** (\`--properties ${p.id}\`): ${p.meaning}.`);
  out.push('', `**yes** and **no** are observed; **n/a**: the question does not arise; **not shown**: contend could not observe what decides it, and claims nothing; **error**: the scenario failed and gave no answer.`);
  out.push('', '### Evidence', '');
  out.push(...report.cells.map((c) => `- **${escape(cellName(report, c))}** — ${escape(c.detail)} (\`${escape(c.evidence)}\`)`));
  return out.join('\n');
}
