import { parentChannel } from '../lib/hosts/parent.js';
import { failureWhere } from '../lib/writes/failure.js';
import { loadWriteStrategy } from '../lib/writes/load.js';
import { traceFs, type FsStep } from '../lib/writes/trace.js';

/**
 * Child-process entry for crash points: saves one document with a write strategy, and SIGKILLs
 * itself just before its k-th file-system step. With no k it saves completely and reports the
 * steps it took. Nothing of the process survives the kill: no handler, no finally, no flush.
 */
// It closes the channel itself after its report, and must then end with its own status.
const parent = parentChannel('crash-writer', { startedBy: 'contend (crash points, the interrupted stress scenario)', onDisconnect: null });

parent.once(async (order) => {
  const strategy = await loadWriteStrategy(order.strategy);
  const steps: FsStep[] = [];
  traceFs((step) => {
    steps.push(step);
    if (steps.length === order.crashBefore) process.kill(process.pid, 'SIGKILL');
  });
  try {
    if (order.announce) await parent.post({ type: 'started' });
    await strategy.save(order.path, order.data);
    await parent.post({ type: 'report', steps });
  } catch (error) {
    await parent.post({ type: 'report', steps, error: failureWhere(error) });
  }
  parent.disconnect();
});
