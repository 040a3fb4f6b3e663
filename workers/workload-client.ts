import { isMainThread, threadId } from 'node:worker_threads';
import { announceThread, type PinnedTask } from '../lib/kinds/pools.js';
import { serveClient, type ClientMessage, type ClientSpec, type ClientTask, type FleetMessage } from '../lib/workload/client.js';

/** piscina task: one workload client for the length of a run, talking through the transferred port. */
export default async function runClientInThread(task: ClientTask & PinnedTask): Promise<void> {
  announceThread(task, threadId);
  const { spec, port } = task;
  const go = new Promise<void>((resolve) => port.on('message', (m: FleetMessage) => m.type === 'go' && resolve()));
  try {
    await serveClient(spec, { post: (m) => port.postMessage(m), go });
  } finally {
    port.close();
  }
}

// As a child process (forked by the fleet with CONTEND_WORKLOAD_CHILD=1): the spec comes over IPC,
// and the process ends once its history is sent, or when the fleet goes away.
if (isMainThread && process.env.CONTEND_WORKLOAD_CHILD === '1' && process.send) {
  const send = process.send.bind(process);
  const post = (m: ClientMessage): Promise<void> => new Promise((resolve) => send(m, undefined, {}, () => resolve()));
  let goSeen!: () => void;
  const go = new Promise<void>((resolve) => (goSeen = resolve));
  let last: Promise<void> = Promise.resolve();
  process.on('disconnect', () => process.exit(1));
  process.on('message', (m: FleetMessage | { type: 'spec'; spec: ClientSpec }) => {
    if (m.type === 'go') goSeen();
    else
      void serveClient(m.spec, { post: (message) => void (last = post(message)), go }).then(async () => {
        await last;
        process.disconnect();
      });
  });
}
