import { readSync, writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { toErrorInfo } from '../lib/case/protocol.js';
import { parentChannel } from '../lib/hosts/parent.js';
import { servePinned, type PinnedTask } from '../lib/hosts/pools.js';
import { actorState, runActor, type Announce } from '../lib/explore/actor.js';
import { loadSubject, type LoadedSubject } from '../lib/explore/subjects.js';
import { tallyOf, watchForStrays, type Holder } from '../lib/explore/gate.js';
import { mailboxWriter } from '../lib/explore/mailbox.js';
import {
  ANNOUNCE_FD, awaitGrant, GRANT_FD, GRANT_SEQ,
  type ExploreActorSpec, type ExploreDriverMessage, type ExploreHostMessage, type ExploreThreadTask,
} from '../lib/explore/protocol.js';

/**
 * One actor of `contend explore`, alive across schedules: it loads the subject once, then runs the
 * actor each time the explorer begins a schedule. At every point it blocks until the explorer's
 * word: a thread on the grant word in shared memory, a process in a read of its grant pipe.
 */
async function serve(spec: ExploreActorSpec, post: (m: ExploreHostMessage) => void, holder: () => Holder, shared: Int32Array, onBegin: (begin: (m: ExploreDriverMessage) => void) => void): Promise<LoadedSubject | undefined> {
  let subject: LoadedSubject;
  try {
    subject = await loadSubject(spec.subject, spec.kind);
  } catch (error) {
    post({ type: 'start-failed', error: toErrorInfo(error) });
    return undefined;
  }
  onBegin((m) => {
    const memory = { shared, local: new Map<string, unknown>(), signal: new AbortController().signal };
    void runActor(subject, spec, actorState(spec, holder(), m.free), memory, m.run, post as Announce);
  });
  post({ type: 'ready' });
  return subject;
}

/** piscina task: the actor in a worker_thread, announcing on its port. */
export default function exploreInThread(task: ExploreThreadTask & PinnedTask): Promise<void> {
  return servePinned(task, async ({ spec, shared, grant, mailbox, port }) => {
    const word = new Int32Array(grant);
    const write = mailboxWriter(mailbox);
    const post = (m: ExploreHostMessage): void => (m.type === 'ready' || m.type === 'start-failed' ? port.postMessage(m) : write(m));
    let run = 0;
    const holder = (): Holder => ({
      blocks: true,
      hold(point, state) {
        const seq = Atomics.load(word, GRANT_SEQ);
        post({ type: 'point', run, point, ...tallyOf(state) });
        return awaitGrant(word, seq);
      },
    });
    const closed = new Promise<void>((resolve) => port.once('close', () => resolve()));
    // The host makes no call of its own into the exploration's directory: any made in no actor's name is a stray.
    const unwatch = watchForStrays(spec.dir);
    try {
      const subject = await serve(spec, post, holder, new Int32Array(shared), (begin) =>
        port.on('message', (m: ExploreDriverMessage) => {
          run = m.run;
          begin(m);
        }),
      );
      if (subject) await closed;
    } finally {
      unwatch();
    }
  });
}

// As a child process (launched by the explorer with CONTEND_EXPLORE_CHILD=1): its actor comes over
// IPC; points go out on fd 5, a JSON line each, and the grant comes back on fd 4, a byte.
if (isMainThread && process.env.CONTEND_EXPLORE_CHILD === '1' && process.send) {
  const parent = parentChannel('explore-host', { startedBy: 'contend explore' });
  const post = (m: ExploreHostMessage): void => void writeSync(ANNOUNCE_FD, `${JSON.stringify(m)}\n`);
  const byte = Buffer.alloc(1);
  let run = 0;
  const holder = (): Holder => ({
    blocks: true,
    hold(point, state) {
      // The host's own pipe calls are no points of the actor's.
      state.unseen = true;
      try {
        post({ type: 'point', run, point, ...tallyOf(state) });
        // End of file: the explorer is gone, and this schedule with it.
        return readSync(GRANT_FD, byte, 0, 1, null) === 1 && byte[0] === 'g'.charCodeAt(0);
      } finally {
        state.unseen = false;
      }
    },
  });
  let begin: ((m: ExploreDriverMessage) => void) | undefined;
  parent.onMessage((m) => {
    if (m.type === 'setup') {
      watchForStrays(m.spec.dir);
      void serve(m.spec, post, holder, new Int32Array(new SharedArrayBuffer(64)), (b) => (begin = b));
    }
    else {
      run = m.run;
      begin?.(m);
    }
  });
}
