import { setImmediate as tick } from 'node:timers/promises';
import { ContendError } from '../errors.js';

// A thread's announcements travel through shared memory, not its MessagePort: the explorer waits
// on a futex and wakes the moment one is written, where a port's message would wait for the event
// loop to come round. Cells: a sequence number (bumped per message), the length; then the bytes.
const SEQ = 0;
const LENGTH = 1;
const HEADER = 8;
const SIZE = 1 << 20;
const SPIN = 2000;
const YIELD_MS = 20;

/** When the explorer's thread last let its event loop turn, by any reader. */
let lastTurn = performance.now();

/** Shared memory for one thread's messages to the explorer, one at a time. */
export const newMailbox = (): SharedArrayBuffer => new SharedArrayBuffer(HEADER + SIZE);

/** The writing end, in the actor's thread: the explorer reads each message before the next is written (the actor waits for its grant in between). */
export function mailboxWriter(box: SharedArrayBuffer): (message: unknown) => void {
  const cells = new Int32Array(box, 0, 2);
  const bytes = Buffer.from(box, HEADER, SIZE);
  return (message) => {
    const length = bytes.write(JSON.stringify(message));
    if (length >= SIZE) throw new ContendError('E_EXPLORE_PROTOCOL', `an announcement of over ${SIZE} bytes`);
    Atomics.store(cells, LENGTH, length);
    Atomics.add(cells, SEQ, 1);
    Atomics.notify(cells, SEQ);
  };
}

/**
 * The reading end, in the explorer: the next message. It blocks the explorer's thread in short
 * waits, yielding to the event loop between them so a thread's death (or anything else) is seen.
 */
export function mailboxReader(box: SharedArrayBuffer): { next(stopped: () => Error | undefined): Promise<unknown> } {
  const cells = new Int32Array(box, 0, 2);
  const bytes = Buffer.from(box, HEADER, SIZE);
  let seen = 0;
  return {
    async next(stopped) {
      // Messages that come at once resolve in microtasks, and a search of thousands of steps
      // would never let the event loop turn: no signal (Ctrl-C), no timer. It turns every YIELD_MS.
      if (performance.now() - lastTurn > YIELD_MS) {
        await tick();
        lastTurn = performance.now();
      }
      for (;;) {
        // A step is often over within microseconds: a short spin spares the futex's sleep and wake-up.
        for (let spin = 0; spin < SPIN && Atomics.load(cells, SEQ) === seen; spin++);
        if (Atomics.load(cells, SEQ) === seen) Atomics.wait(cells, SEQ, seen, 20);
        if (Atomics.load(cells, SEQ) !== seen) {
          seen = Atomics.load(cells, SEQ);
          return JSON.parse(bytes.toString('utf8', 0, Atomics.load(cells, LENGTH))) as unknown;
        }
        const why = stopped();
        if (why) throw why;
        await tick();
        lastTurn = performance.now();
      }
    },
  };
}
