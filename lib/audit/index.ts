export { runAudit, selectProperties, evidenceFor, AUDIT_CASES, type AuditCell, type AuditOptions, type AuditReport } from './audit.js';
export { formatAudit, formatAuditMarkdown } from './format.js';
export { DEFAULT_LIBRARIES, auditedLibrary, librarySpecs, packageVersion, rowLabel, type AuditedLibrary, type LibrarySpec } from './libraries.js';
export { PROPERTIES, propertyIds, type Property, type PropertyId, type Role } from './properties.js';
export { LOCK_SCENARIOS } from './lock-scenarios.js';
export { WRITER_SCENARIOS } from './writer-scenarios.js';
export type { Finding, AuditScenario, Verdict } from './scenario.js';
export { straceAvailable } from './host.js';
