import { isMainThread } from 'node:worker_threads';
import { parentChannel } from '../lib/hosts/parent.js';
import { servePinned, type PinnedTask } from '../lib/hosts/pools.js';
import { serveClient } from '../lib/workload/client.js';
import type { ClientTask, FleetMessage } from '../lib/workload/protocol.js';

/** piscina task: one workload client for the length of a run, talking through the transferred port. */
export default function runClientInThread(task: ClientTask & PinnedTask): Promise<void> {
  return servePinned(task, async ({ spec, port }) => {
    const go = new Promise<void>((resolve) => port.on('message', (m: FleetMessage) => m.type === 'go' && resolve()));
    await serveClient(spec, { post: (m) => port.postMessage(m), go });
  });
}

// As a child process (launched by the fleet with CONTEND_WORKLOAD_CHILD=1): the spec comes over IPC,
// and the process ends once its history is sent, or when the fleet goes away.
if (isMainThread && process.env.CONTEND_WORKLOAD_CHILD === '1' && process.send) {
  const parent = parentChannel('workload-client', { startedBy: 'the workload fleet' });
  let goSeen!: () => void;
  const go = new Promise<void>((resolve) => (goSeen = resolve));
  let last: Promise<void> = Promise.resolve();
  parent.onMessage((m) => {
    if (m.type === 'go') goSeen();
    else
      void serveClient(m.spec, { post: (message) => void (last = parent.post(message)), go }).then(async () => {
        await last;
        parent.disconnect();
      });
  });
}
