/// <reference types="node" preserve="true" />
/** `contend/writes`: what SIGKILL, contention and crashes do to each write strategy (doc/strategies.md). */
export { crashPoints, type CrashPoint, type CrashPointOptions, type CrashTable, type FileState } from './crashpoints.js';
export { traceDurability, type Durability } from './durability.js';
export { formatStress, runStress, SCENARIOS, type Latency, type Scenario, type StrategyStress, type StressOptions, type StressReport } from './index.js';
