/// <reference types="node" preserve="true" />
/**
 * `contend/powerloss`: every state a power cut can leave of a save, computed from the save's own
 * fs calls (ALICE's model, doc/powerloss.md), and judged.
 */
export { runPowerloss, type PowerlossOptions, type PowerlossReport, type PowerlossRow, type Named } from './run.js';
export type { PowerlossOps, SaveContext, CrashCheck, CrashCheckContext, CrashVerdict } from './ops.js';
export { crashStates, type CrashState, type CrashStates, type CrashOptions, type LogicalOp, type FsImage, type WriteFate } from './model.js';
export { recordSave, RecordingTimeout, type Recording } from './record.js';
