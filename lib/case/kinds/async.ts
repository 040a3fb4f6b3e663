import { Actor } from '../actor.js';
import { describeThrown, toErrorInfo, type ActorSpec } from '../protocol.js';
import { ChannelFault, CLOSE_GRACE_MS, started, withinTime, type ActorChannel } from './channel.js';
import { watchLoop, type BlockedLoop } from './watchdog.js';
import { settledWithin } from '../../support/deadline.js';

export interface AsyncActorOptions {
  shared: SharedArrayBuffer;
  local: Map<string, unknown>;
  signal: AbortSignal;
  startTimeoutMs: number;
  /** How long adapter code may keep this thread's event loop blocked before it is stopped, ms. */
  blockedLimitMs: number;
}

/** How long the watchdog's report of a stall may take to be read once the loop runs again, ms. */
const REPORT_GRACE_MS = 1_000;

function blockedDetail(b: BlockedLoop): string {
  const where = b.inCall ? `its ${b.call}() did not return` : `nothing ran since its ${b.call}(), the last adapter call`;
  return `${where} for ${Math.round(b.ms)} ms; contend interrupted it`;
}

/**
 * Actors as async tasks in the driver's own thread: one Node server handling requests at once.
 * They share the thread's memory and its per-case `local` objects. Their adapter code can block
 * this very thread, so a watchdog thread watches it (see watchdog.ts).
 */
export async function startAsyncActor(spec: ActorSpec, options: AsyncActorOptions): Promise<ActorChannel> {
  let blocked: ChannelFault | undefined;
  // Each block rejects the promise of the moment, and the next one is made for what follows.
  let nextBlock!: Promise<never>;
  let onBlocked!: (fault: ChannelFault) => void;
  const arm = (): void => {
    nextBlock = new Promise<never>((_, reject) => (onBlocked = reject));
    nextBlock.catch(() => {});
  };
  arm();
  // The blocks caught inside an adapter call: only those explain a time-out (explainHang).
  const inCall = new WeakSet<ChannelFault>();
  const watch = watchLoop(options.blockedLimitMs, (b) => {
    const fault = new ChannelFault('blocked', blockedDetail(b));
    if (b.inCall) inCall.add(fault);
    blocked ??= fault;
    const reject = onBlocked;
    arm();
    reject(fault);
  });
  const orBlocked = <T>(promise: Promise<T>): Promise<T> => (blocked ? Promise.reject(blocked) : Promise.race([promise, nextBlock]));
  // A time-out that came due while adapter code held the loop is the block's: its report, posted
  // before the watchdog's interrupt, is read in the loop's next turns. A stall outside any adapter
  // call (a long GC, a stopped process) leaves a hang a hang.
  const explainHang = async (hang: ChannelFault, since: number): Promise<ChannelFault> => {
    if (!watch.stalledSince(since)) return hang;
    const report = blocked ? Promise.resolve(blocked) : nextBlock.catch((fault: ChannelFault) => fault);
    const fault = await settledWithin(report, REPORT_GRACE_MS, () => hang).catch(() => hang);
    return inCall.has(fault) ? fault : hang;
  };
  const startedAt = Date.now();
  let actor: Actor;
  try {
    // A create() that never settles cannot be stopped in this thread; the case's signal tells it to give up.
    let onLoaded!: () => void;
    const loaded = new Promise<void>((resolve) => (onLoaded = resolve));
    const created = Actor.create(spec, { shared: new Int32Array(options.shared), local: options.local, signal: options.signal, watch }, onLoaded);
    const ready = orBlocked(created).then(() => {});
    // Awaited by `started` only once loaded: a failure before that is met there, not left unhandled.
    ready.catch(() => {});
    await started({ loaded: orBlocked(Promise.race([loaded, created])).then(() => {}), ready }, options.startTimeoutMs);
    actor = await created;
  } catch (error) {
    const fault = error instanceof ChannelFault && error.reason === 'hung' ? await explainHang(error, startedAt) : error;
    watch.stop();
    if (fault instanceof ChannelFault) throw fault;
    const info = toErrorInfo(error);
    throw new ChannelFault('threw', describeThrown(info), info.code);
  }
  // Still watched: an actor interrupted once may block again in its clean-up, and is stopped
  // again. Bounded like a thread's or a process's end: a release or close that never settles, or
  // one whose continuation an interrupt dropped, must not hold the case's teardown for ever.
  const end = async (): Promise<void> => {
    try {
      await withinTime(Promise.race([actor.dispose(), nextBlock]), CLOSE_GRACE_MS, `its release and close did not finish within ${CLOSE_GRACE_MS} ms`);
    } finally {
      watch.stop();
    }
  };
  let requestedAt = Date.now();
  return {
    worker: spec.worker,
    request: (command, onBlocked) => {
      requestedAt = Date.now();
      return orBlocked(actor.handle(command, onBlocked));
    },
    close: end,
    kill: () => end().catch(() => {}),
    explainHang: (hang) => explainHang(hang, requestedAt),
  };
}
