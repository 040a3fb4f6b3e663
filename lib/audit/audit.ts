import { InvalidOptionError } from '../errors.js';
import { onlyKnown, optionNames } from '../support/check.js';
import { lockOptionsOf, lockRegistry } from '../locks/registry.js';
import { withServerUrl } from '../locks/server-lock.js';
import { contendVersion } from '../support/paths.js';
import { auditedLibrary, DEFAULT_LIBRARIES, librarySpecs, rowLabel, type AuditedLibrary, type LibrarySpec } from './libraries.js';
import { LOCK_SCENARIOS } from './lock-scenarios.js';
import { SERVER_SCENARIOS } from './server-scenarios.js';
import { PROPERTIES, type Property, type PropertyId } from './properties.js';
import { firstLine, type Finding } from './scenario.js';
import { WRITER_SCENARIOS } from './writer-scenarios.js';

export interface AuditCell extends Finding {
  /** The row's label (name and options). */
  library: string;
  property: PropertyId;
  scenario: string;
  /** The test that pins this cell, or how to make one. */
  evidence: string;
}

export interface AuditReport {
  contend: string;
  node: string;
  platform: string;
  libraries: Omit<AuditedLibrary, 'ref'>[];
  properties: Property[];
  cells: AuditCell[];
}

export interface AuditOptions {
  /**
   * Rows to audit (default: DEFAULT_LIBRARIES): a lock's or write strategy's name (its default rows,
   * as the CLI's --libraries takes it), or a row of your own, `{ name, role, lockOptions? }`.
   */
  libraries?: (string | LibrarySpec)[];
  /** Property ids to answer (default: all). */
  properties?: string[];
  onCell?: (cell: AuditCell, done: number, total: number) => void;
}

/** The file whose tests pin every cell of the default rows. */
export const AUDIT_TESTS = 'cases/audit.test.ts';

/** Where a cell's evidence is: the test named after its row and property, for the rows the project pins. */
export function evidenceFor(library: string, property: Property, scenario: string): string {
  const pinned = DEFAULT_LIBRARIES.some((spec) => rowLabel(spec.name, spec.lockOptions) === library);
  return pinned
    ? `${AUDIT_TESTS} › ${library} › ${property.title}`
    : `contend audit scenario "${scenario}" (no test pins it yet: see doc/audit.md, "Adding a library")`;
}

/** Picks the properties to answer; an unknown id is one clear error naming the allowed ones. */
export function selectProperties(ids: readonly unknown[] | undefined): Property[] {
  if (ids === undefined) return [...PROPERTIES];
  const known: string[] = PROPERTIES.map((p) => p.id);
  for (const id of ids) if (!known.includes(id as string)) throw new InvalidOptionError('properties', known.join(', '), id);
  return PROPERTIES.filter((p) => ids.includes(p.id));
}

/** The rows asked for: names as --libraries takes them, rows as they are, each checked before any runs. */
function rowsOf(given: readonly unknown[] | undefined): LibrarySpec[] {
  if (given === undefined) return [...DEFAULT_LIBRARIES];
  const allowed = "a non-empty list of lock and write strategy names, or rows { name, role: 'lock' | 'writer', lockOptions? }";
  if (!Array.isArray(given) || given.length === 0) throw new InvalidOptionError('libraries', allowed, given);
  // Names alone in one call, so that every package missing is said in one message.
  if (given.every((row) => typeof row === 'string')) return librarySpecs(given as string[]);
  return given.flatMap((row): LibrarySpec[] => {
    if (typeof row === 'string') return librarySpecs([row]);
    const { name, role, lockOptions } = (typeof row === 'object' && row !== null ? row : {}) as Partial<LibrarySpec>;
    if (typeof name !== 'string' || (role !== 'lock' && role !== 'writer')) throw new InvalidOptionError('libraries', allowed, row);
    // Checked as --lock-options is, before the first scenario.
    if (role === 'lock') lockOptionsOf(lockRegistry.lookup(name).adapter, lockOptions);
    return [row as LibrarySpec];
  });
}

/**
 * Runs every scenario that answers a chosen property against every row, one at a time (scenarios
 * time lock takeovers; running them side by side would only blur that), and returns the table.
 */
export async function runAudit(options: AuditOptions = {}): Promise<AuditReport> {
  onlyKnown('audit option', options, optionNames<AuditOptions>({ libraries: true, properties: true, onCell: true }));
  const properties = selectProperties(options.properties);
  const libraries = rowsOf(options.libraries).map(auditedLibrary);
  const wanted = new Set<PropertyId>(properties.map((p) => p.id));
  const scenarios = [...LOCK_SCENARIOS, ...SERVER_SCENARIOS, ...WRITER_SCENARIOS];
  const scenariosOf = (role: string, ids: ReadonlySet<PropertyId>) => scenarios.filter((s) => s.role === role && s.properties.some((p) => ids.has(p)));
  // A table of no cells would read as an audit that found nothing: refused before any server starts.
  if (!libraries.some((lib) => scenariosOf(lib.role, wanted).length > 0)) {
    const applicable = PROPERTIES.filter((p) => libraries.some((lib) => scenariosOf(lib.role, new Set([p.id])).length > 0)).map((p) => p.id);
    throw new InvalidOptionError('properties', `one that applies to ${libraries.map((l) => l.label).join(', ')}: ${applicable.join(', ')}`, properties.map((p) => p.id).join(','));
  }
  // Locks on a server get the run's throwaway server; the report keeps the options as given.
  const running = await Promise.all(libraries.map(async (lib) => (lib.role === 'lock' ? { ...lib, lockOptions: await withServerUrl(lockRegistry.resolve(lib.name).adapter, lib.lockOptions) } : lib)));
  const work = running.flatMap((lib) => scenariosOf(lib.role, wanted).map((scenario) => ({ lib, scenario })));
  const total = work.reduce((n, { scenario }) => n + scenario.properties.filter((p) => wanted.has(p)).length, 0);
  const cells: AuditCell[] = [];
  for (const { lib, scenario } of work) {
    const findings = await scenario.run(lib).catch((error: unknown) => {
      // One scenario failing (a library that throws, a host that dies) is its cells' answer, not the audit's end.
      const detail = `the scenario failed: ${firstLine(error)}`;
      return Object.fromEntries(scenario.properties.map((p) => [p, { verdict: 'error' as const, detail }]));
    });
    for (const property of properties) {
      const finding = findings[property.id];
      if (!finding || !scenario.properties.includes(property.id)) continue;
      const cell: AuditCell = { library: lib.label, property: property.id, scenario: scenario.id, ...finding, evidence: evidenceFor(lib.label, property, scenario.id) };
      cells.push(cell);
      options.onCell?.(cell, cells.length, total);
    }
  }
  return {
    contend: contendVersion(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    libraries: libraries.map(({ ref: _r, ...rest }) => rest),
    properties,
    cells,
  };
}
