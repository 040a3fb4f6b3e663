/// <reference types="node" preserve="true" />
/** `contend/workload`: fleets of writers and readers on an optimistic manifest, sweeps, chaos and plots (doc/workload.md). */
export {
  CAS_MODES,
  CLIENT_KINDS,
  CONFLICT_SCOPES,
  STORAGES,
  WORKLOAD_DEFAULTS,
  configLabel,
  resolveWorkload,
  type CasMode,
  type ClientKind,
  type ConflictScope,
  type StorageKind,
  type WorkloadConfig,
} from './config.js';
export { CHAOS_DEFAULTS, CHAOS_SCENARIOS, type Chaos, type ChaosScenario } from './chaos.js';
export type { OpRecord } from './protocol.js';
export { TornManifestError, readManifest, type Entry, type Snapshot } from './manifest.js';
export { summarize, type MetricsSummary } from './metrics.js';
export { VIOLATION_KINDS, formatIsolation, verifyIsolation, type IsolationReport, type IsolationViolation, type ViolationKind } from './isolation.js';
export { runWorkload, type WorkloadResult, type WorkloadRunOptions } from './run.js';
export {
  FULL_GRID,
  QUICK_GRID,
  QUICK_DURATION,
  FULL_DURATION,
  runChaos,
  runSweep,
  sweepConfigs,
  type ChaosReport,
  type Degradation,
  type SweepGrid,
  type SweepReport,
} from './sweep.js';
export { CSV_COLUMNS, CsvFormatError, EXTRA_COLUMNS, FUSIO_COLUMNS, parseCsv, toCsv, type CsvRow } from './csv.js';
export type { PlotFile, PlotReport } from './plot.js';

/**
 * Renders the plots of a workload CSV (see plot.ts). The plotting stack (vega, a third of a
 * second to load) is loaded on the first call, not by everyone who imports contend.
 */
export async function plotResults(...args: Parameters<typeof import('./plot.js').plotResults>): ReturnType<typeof import('./plot.js').plotResults> {
  return (await import('./plot.js')).plotResults(...args);
}
export { formatChaos, formatSweep } from './report.js';
