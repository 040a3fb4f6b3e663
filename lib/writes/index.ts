import { AdapterRegistry, type Registered } from '../modules/registry.js';
import { AtomicDirsyncStrategy } from './atomic-dirsync.js';
import { AtomicSyncStrategy } from './atomic-sync.js';
import { AtomicStrategy } from './atomic.js';
import { AtomicallyStrategy } from './atomically.js';
import { ConfStrategy } from './conf.js';
import { LowdbStrategy } from './lowdb.js';
import { StenoStrategy } from './steno.js';
import { FixedTempStrategy } from './fixed-temp.js';
import { TruncateStrategy } from './truncate.js';
import { strategyLoader } from './load.js';
import type { WriteStrategy } from './types.js';
import { WriteFileAtomicStrategy } from './write-file-atomic.js';

/** The built-in write strategies, by name, in the order tables list them. */
export const builtinWrites: ReadonlyMap<string, WriteStrategy> = new Map(
  [
    TruncateStrategy,
    AtomicStrategy,
    AtomicDirsyncStrategy,
    AtomicSyncStrategy,
    FixedTempStrategy,
    WriteFileAtomicStrategy,
    AtomicallyStrategy,
    StenoStrategy,
    LowdbStrategy,
    ConfStrategy,
  ].map((s) => [s.name, s]),
);

export const writeRegistry = new AdapterRegistry<WriteStrategy>(
  'write strategy',
  builtinWrites,
  strategyLoader,
  "a strategy of your own is { module: './my-write.ts', export: 'MyWrite' }, or its name once registerWriteStrategy() has it; on the command line, --write-module ./my-write.ts#MyWrite, then its name",
);

export const writeStrategyNames = (): string[] => writeRegistry.names();
export const resolveWriteStrategy = (name: unknown): Registered<WriteStrategy> => writeRegistry.resolve(name);
/** Makes a write strategy of your own usable by name, in every worker (see doc/adapters.md for locks: the same way). */
export const registerWriteStrategy = (ref: { module: string; export: string }): Promise<WriteStrategy> => writeRegistry.register(ref);
export const unregisterWriteStrategy = (name: string): boolean => writeRegistry.unregister(name);
export { loadWriteStrategy } from './load.js';

export type { WriteStrategy } from './types.js';
