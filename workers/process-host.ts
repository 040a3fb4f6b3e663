import { serveActor } from '../lib/case/host.js';
import { parentChannel } from '../lib/hosts/parent.js';
import type { DriverMessage, HostMessage } from '../lib/case/protocol.js';

/**
 * Child-process entry. It runs one actor at a time: a `start` message brings the spec, commands
 * follow, and after the actor's exit it reports `idle` and waits for the next, so a run of many
 * cases does not pay a process start per actor. It ends itself when the driver goes away, so a
 * killed driver never leaves it running.
 */
let controller = new AbortController();
let handler: ((message: DriverMessage) => void) | undefined;
let lastSend: Promise<void> = Promise.resolve();

const parent = parentChannel('process-host', {
  startedBy: 'the driver',
  onDisconnect() {
    controller.abort();
    // Nobody is left to report to; do not linger on half-finished work.
    setTimeout(() => process.exit(1), 200).unref();
  },
});

const post = (message: HostMessage): void => {
  lastSend = parent.post(message);
};

parent.onMessage((message) => {
  if (message.type === 'command') {
    handler?.(message);
    return;
  }
  controller = new AbortController();
  // Each process has memory of its own: in-memory locks cannot reach the other processes.
  const shared = new Int32Array(new SharedArrayBuffer(64));
  void serveActor(message.spec, shared, { post, onMessage: (h) => (handler = h) }, controller.signal)
    .then(() => lastSend)
    .finally(() => {
      handler = undefined;
      post({ type: 'idle' });
    });
});
