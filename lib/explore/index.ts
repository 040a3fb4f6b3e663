/// <reference types="node" preserve="true" />
/**
 * `contend/explore`: every interleaving of real actors down to the fs call, counted, with the
 * first forbidden schedule shrunk and replayable.
 */
export { explore, SEARCHES, type ExploreOptions, type ExploreResult, type ExploreFailure, type OutcomeCount, type SearchName, type Named } from './explore.js';
export { point } from './gate.js';
export type { ExploreOps, ExploreContext, OpsActorContext, CheckContext, Grade } from './subjects.js';
export type { Point } from './point.js';
export type { Step } from './run.js';
export { NondeterminismError } from './search.js';
export { ConcurrentCallsError, StrayCallError } from './run.js';
