/** A module of TypeScript, told by its file name: compiled (compile.ts) before it is imported. */
export const TYPESCRIPT = /\.[cm]?tsx?$/;
