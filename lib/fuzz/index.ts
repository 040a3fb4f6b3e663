/// <reference types="node" preserve="true" />
/** `contend/fuzz`: the kill fuzz of the JSON store (doc/fuzz.md). */
export { runFuzz, VacuousWaveError, type FuzzOptions, type FuzzReport, type Violation, type WaveReport } from './harness.js';
