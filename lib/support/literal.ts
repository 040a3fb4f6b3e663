import { fileURLToPath } from 'node:url';
import type { ModuleRef } from '../modules/registry.js';

/** A module of the user's as a replay literal names it: a file by its path, which is what a user types and a shell reads. */
export const asTyped = (ref: ModuleRef): ModuleRef => ({ module: ref.module.startsWith('file:') ? fileURLToPath(ref.module) : ref.module, export: ref.export });

/** Single quotes keep everything literal in a POSIX shell; a quote inside is closed, escaped, reopened. */
export const shellQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;
