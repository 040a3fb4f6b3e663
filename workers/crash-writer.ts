import { loadWriteStrategy } from '../lib/writes/index.js';
import { traceFs, type FsStep } from '../lib/writes/trace.js';
import { failureWhere } from '../lib/writes/durability.js';
import type { AdapterRef } from '../lib/locks/types.js';

/**
 * Child-process entry for crash points: saves one document with a write strategy, and SIGKILLs
 * itself just before its k-th file-system step. With no k it saves completely and reports the
 * steps it took. Nothing of the process survives the kill: no handler, no finally, no flush.
 */
export interface CrashOrder {
  strategy: AdapterRef;
  path: string;
  data: string;
  /** 1-based step to die before; none: run to the end. */
  crashBefore?: number;
  /** Say `started` just before saving, for a parent that kills from outside. */
  announce?: boolean;
}

process.once('message', async (order: CrashOrder) => {
  const strategy = await loadWriteStrategy(order.strategy);
  const steps: FsStep[] = [];
  traceFs((step) => {
    steps.push(step);
    if (steps.length === order.crashBefore) process.kill(process.pid, 'SIGKILL');
  });
  try {
    if (order.announce) await new Promise<void>((resolve) => process.send!({ type: 'started' }, () => resolve()));
    await strategy.save(order.path, order.data);
    process.send!({ steps }, () => process.disconnect());
  } catch (error) {
    process.send!({ steps, error: failureWhere(error) }, () => process.disconnect());
  }
});
