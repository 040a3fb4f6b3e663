import { launch, type LaunchedHost } from '../../hosts/launch.js';
import { ownFileCode } from '../../locks/index.js';
import type { ActorSpec, HostMessage } from '../protocol.js';
import type { ToHost } from '../../hosts/messages.js';
import { ChannelFault, CLOSE_GRACE_MS, PendingReplies, readiness, started, withinTime, type ActorChannel } from './channel.js';

const IDLE_KEPT = 16;

/**
 * A child process that hosts one actor at a time. One started `filesOnly`, for actors that run
 * contend's own code on local files only (ownFileCode), lacks NODE_EXTRA_CA_CERTS (launch's
 * `filesOnly`), so it takes no other actor; any other host takes any actor.
 */
class ProcessHost {
  readonly process: LaunchedHost<'process-host'>;
  readonly exited: Promise<void>;
  /** Set while an actor runs: where its messages and the host's death go. */
  onMessage: ((message: HostMessage) => void) | undefined;
  onExit: ((fault: ChannelFault) => void) | undefined;

  constructor(readonly filesOnly: boolean) {
    this.process = launch('process-host', { filesOnly });
    this.process.onMessage((message) => this.onMessage?.(message));
    this.exited = this.process.exited.then((how) => {
      const at = idle.indexOf(this);
      if (at >= 0) idle.splice(at, 1);
      this.onExit?.(new ChannelFault('died', `process ${this.pid} ${how}`));
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get alive(): boolean {
    return this.process.alive;
  }

  /** A message the host cannot take (it has ended) is dropped: its exit fails whatever waits. */
  send(message: ToHost<'process-host'>): void {
    this.process.send(message);
  }

  async kill(): Promise<void> {
    await this.process.kill();
    await this.exited;
  }
}

const idle: ProcessHost[] = [];

/** Ends every idle process host; the CLI and the test suite call it when they are done. */
export async function closeProcessPool(): Promise<void> {
  await Promise.all(idle.splice(0).map((h) => h.kill()));
}

/**
 * Starts hosts ahead of need, so the first process case does not pay for their start: `filesOnly`
 * when every actor they are for runs contend's own code on files only (ownFileCode).
 */
export function prewarmProcesses(count: number, filesOnly: boolean): void {
  while (idle.length < Math.min(count, IDLE_KEPT)) {
    const host = new ProcessHost(filesOnly);
    host.process.hold(false);
    idle.push(host);
  }
}

/** The idle host this actor can run on, the most recently idle first; a new one if none can. */
function hostFor(spec: ActorSpec): ProcessHost {
  const filesOnly = ownFileCode(spec);
  for (let i = idle.length - 1; i >= 0; i--) {
    if (filesOnly || !idle[i]!.filesOnly) return idle.splice(i, 1)[0]!;
  }
  return new ProcessHost(filesOnly);
}

export async function startProcessActor(spec: ActorSpec, startTimeoutMs: number): Promise<ActorChannel> {
  const host = hostFor(spec);
  host.process.hold(true);
  // What an earlier actor of this host wrote is no evidence about this one.
  host.process.clearStderr();
  const pending = new PendingReplies();
  const start = readiness();
  let idleSeen!: () => void;
  const done = new Promise<void>((resolve) => (idleSeen = resolve));
  host.onMessage = (message) => {
    if (message.type === 'idle') idleSeen();
    else {
      const other = pending.receive(message);
      if (other) start.settle(other);
    }
  };
  host.onExit = (fault) => {
    pending.failAll(fault);
    start.fail(fault);
    idleSeen();
  };
  const release = (): void => {
    host.onMessage = undefined;
    host.onExit = undefined;
  };
  host.send({ type: 'start', spec });
  try {
    await started(start, startTimeoutMs);
  } catch (error) {
    await host.kill();
    release();
    throw error;
  }
  return {
    worker: spec.worker,
    request: (command, onBlocked) => pending.request((id) => host.send({ type: 'command', id, command }), onBlocked),
    async close() {
      try {
        await withinTime(done, CLOSE_GRACE_MS, `process ${host.pid} did not finish within ${CLOSE_GRACE_MS} ms of its exit`);
      } catch (error) {
        await host.kill();
        release();
        throw error;
      }
      release();
      if (!host.alive) throw new ChannelFault('died', `process ${host.pid} ended after its exit reply instead of waiting for the next actor`);
      if (idle.length < IDLE_KEPT) {
        host.process.hold(false);
        idle.push(host);
      } else await host.kill();
    },
    async kill() {
      // Killed first, detached after: the exit handler still fails whatever is pending.
      await host.kill();
      release();
    },
  };
}
