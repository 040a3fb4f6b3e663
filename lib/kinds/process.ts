import { fork, type ChildProcess } from 'node:child_process';
import { onExitUndo } from '../cleanup.js';
import { watchExit, type ExitWatch } from './exit.js';
import { hostEntry } from '../paths.js';
import type { ActorSpec, HostAssignment, HostMessage } from '../protocol.js';
import { ChannelFault, CLOSE_GRACE_MS, PendingReplies, readiness, withinTime, type ActorChannel } from './channel.js';

const IDLE_KEPT = 16;

/** A child process that hosts one actor at a time. */
class ProcessHost {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  readonly watch: ExitWatch;
  /** Set while an actor runs: where its messages and the host's death go. */
  onMessage: ((message: HostMessage) => void) | undefined;
  onExit: ((fault: ChannelFault) => void) | undefined;

  constructor() {
    this.child = fork(hostEntry('process-host'), [], {
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      execArgv: [],
    });
    live.add(this);
    this.watch = watchExit(this.child);
    this.child.on('error', () => {});
    this.child.on('message', (message: HostMessage) => this.onMessage?.(message));
    this.exited = this.watch.exited.then((how) => {
      live.delete(this);
      const at = idle.indexOf(this);
      if (at >= 0) idle.splice(at, 1);
      this.onExit?.(new ChannelFault('died', `process ${this.child.pid} ${how}`));
    });
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  // An idle host must not keep the driver's process alive; a busy one must.
  hold(busy: boolean): void {
    const handles = [this.child, this.child.channel, this.child.stderr] as ({ ref(): void; unref(): void } | null | undefined)[];
    for (const h of handles) {
      if (busy) h?.ref();
      else h?.unref();
    }
  }

  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }
}

const live = new Set<ProcessHost>();
const idle: ProcessHost[] = [];
// Whatever way the driver's process ends, no child outlives it.
onExitUndo(() => {
  for (const host of live) host.child.kill('SIGKILL');
});

/** Ends every idle process host; the CLI and the test suite call it when they are done. */
export async function closeProcessPool(): Promise<void> {
  await Promise.all(idle.splice(0).map((h) => h.kill()));
}

/** Starts hosts ahead of need, so the first process case does not pay for their start. */
export function prewarmProcesses(count: number): void {
  while (idle.length < Math.min(count, IDLE_KEPT)) {
    const host = new ProcessHost();
    host.hold(false);
    idle.push(host);
  }
}

export async function startProcessActor(spec: ActorSpec, startTimeoutMs: number): Promise<ActorChannel> {
  const host = idle.pop() ?? new ProcessHost();
  host.hold(true);
  // What an earlier actor of this host wrote is no evidence about this one.
  host.watch.clearStderr();
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
  host.child.send({ type: 'start', spec } satisfies HostAssignment);
  try {
    await withinTime(start.ready, startTimeoutMs, `not ready in ${startTimeoutMs} ms`);
  } catch (error) {
    await host.kill();
    release();
    throw error;
  }
  return {
    worker: spec.worker,
    request: (command, onBlocked) => pending.request((id) => host.child.send({ type: 'command', id, command }), onBlocked),
    async close() {
      try {
        await withinTime(done, CLOSE_GRACE_MS, `process ${host.child.pid} did not finish within ${CLOSE_GRACE_MS} ms of its exit`);
      } catch (error) {
        await host.kill();
        release();
        throw error;
      }
      release();
      if (!host.alive) throw new ChannelFault('died', `process ${host.child.pid} ended after its exit reply instead of waiting for the next actor`);
      if (idle.length < IDLE_KEPT) {
        host.hold(false);
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
