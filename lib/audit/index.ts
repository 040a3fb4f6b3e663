/// <reference types="node" preserve="true" />
/** `contend/audit`: npm's locks and JSON writers (and your own) against the audit's properties (doc/audit.md). */
export { runAudit, selectProperties, type AuditCell, type AuditOptions, type AuditReport } from './audit.js';
export { formatAudit, formatAuditMarkdown } from './format.js';
export { DEFAULT_LIBRARIES, SERVER_LIBRARIES, librarySpecs, type LibrarySpec } from './libraries.js';
export { PROPERTIES, propertyIds, type Property, type PropertyId, type Role } from './properties.js';
export type { Finding, Verdict } from './scenario.js';
export { straceAvailable } from './host.js';
