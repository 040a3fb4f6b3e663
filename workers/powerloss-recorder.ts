import { isMainThread } from 'node:worker_threads';
import { parentChannel } from '../lib/hosts/parent.js';
import { servePinned, type PinnedTask } from '../lib/hosts/pools.js';
import { recordOrder } from '../lib/powerloss/record.js';
import type { RecordTask } from '../lib/powerloss/protocol.js';

/** piscina task: records one save in this worker_thread and answers on the port. */
export default function recordInThread(task: RecordTask & PinnedTask): Promise<void> {
  return servePinned(task, async ({ order, port }) => port.postMessage(await recordOrder(order)));
}

// As a child process (launched with CONTEND_POWERLOSS_CHILD=1): the order comes over IPC, the
// recording goes back, and the process ends.
if (isMainThread && process.env.CONTEND_POWERLOSS_CHILD === '1' && process.send) {
  const parent = parentChannel('powerloss-recorder', { startedBy: 'contend powerloss' });
  parent.once((order) => {
    void recordOrder(order).then(async (reply) => {
      await parent.post(reply);
      parent.disconnect();
    });
  });
}
