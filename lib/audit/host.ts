import { spawnSync } from 'node:child_process';
import { ContendError } from '../errors.js';
import { launch, type LaunchedHost } from '../hosts/launch.js';
import { ownFileCode } from '../locks/index.js';
import { withWorkspace, type Workspace } from '../support/workspace.js';
import type { AuditedLibrary } from './libraries.js';
import type { Empty, HostCommand, HostEvent, HostOp, HostResults } from './protocol.js';

/** How long one command may take before the host is reported hung: far beyond any lock's stale time. */
const COMMAND_TIMEOUT_MS = 60_000;

/** What a command answers with, by its op. */
type ResultOf<C extends HostCommand> = HostResults[C['op']];

interface PendingCall {
  resolve: (result: HostResults[HostOp]) => void;
  reject: (error: Error) => void;
  onEvent?: (event: HostEvent) => void;
}

/** The step a save or reclaim was held at, if its milestone was that pause. */
export function pausedAt(reached: HostEvent | undefined): string | undefined {
  return reached?.event === 'paused' ? reached.step : undefined;
}

/**
 * The audit's handle on one host process (workers/audit-host): commands with their replies and
 * milestones, and a kill. Every host is killed when its scenario ends, and at exit at the latest.
 */
export class AuditHost {
  private readonly host: LaunchedHost<'audit-host'>;
  private readonly exit: Promise<string>;
  private readonly pending = new Map<number, PendingCall>();
  private nextId = 1;
  /** The host's own pid, when it runs under strace (whose pid the child's is). */
  private tracee: number | undefined;
  ended = false;

  /**
   * @param library the row the host runs: one built in and on no server spares the host
   *   NODE_EXTRA_CA_CERTS (launch's `filesOnly`); a user's, or a lock on a server, keeps it.
   * @param options.poolSize libuv's thread pool size in the host (UV_THREADPOOL_SIZE).
   * @param options.strace run the host under strace with these options (see `straceAvailable`).
   */
  constructor(readonly name: string, library: Pick<AuditedLibrary, 'role' | 'ref'>, options: { poolSize?: number; strace?: string[] } = {}) {
    this.host = launch('audit-host', {
      env: { ...process.env, UV_THREADPOOL_SIZE: String(options.poolSize ?? 4) },
      filesOnly: ownFileCode(library.role === 'lock' ? { lock: library.ref } : { write: library.ref }),
      serialization: 'json',
      ...(options.strace ? { strace: options.strace } : {}),
    });
    this.exit = this.host.exited;
    void this.exit.then((how) => {
      this.ended = true;
      for (const [, call] of this.pending) call.reject(new ContendError('E_HOST_DIED', `audit host "${this.name}" ${how}`));
      this.pending.clear();
    });
    this.host.onMessage((reply) => {
      const call = this.pending.get(reply.id);
      if (!call) return;
      if ('milestone' in reply) return call.onEvent?.(reply.milestone);
      this.pending.delete(reply.id);
      if ('error' in reply) call.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
      else call.resolve(reply.result);
    });
  }

  /** The host's pid (not strace's, when traced). */
  async hostPid(): Promise<number> {
    this.tracee ??= (await this.call({ op: 'pid' })).pid;
    return this.tracee;
  }

  /** Sends a command; `onEvent` hears its milestones (`stalling`, `paused`, …) before the reply. */
  call<C extends HostCommand>(command: C, onEvent?: (event: HostEvent) => void): Promise<ResultOf<C>> {
    return this.start(command, onEvent).done;
  }

  private start<C extends HostCommand>(command: C, onEvent?: (event: HostEvent) => void): { id: number; done: Promise<ResultOf<C>> } {
    const id = this.nextId++;
    if (this.ended) return { id, done: Promise.reject(new ContendError('E_HOST_DIED', `audit host "${this.name}" has ended`)) };
    const done = new Promise<ResultOf<C>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ContendError('E_HOST_HUNG', `audit host "${this.name}" did not answer '${command.op}' within ${COMMAND_TIMEOUT_MS} ms`));
      }, COMMAND_TIMEOUT_MS);
      const settle = <T>(f: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        f(v);
      };
      // The reply to request `id` is the result of this command's op: the host answers each
      // request with its own handler's result (workers/audit-host), so the id is what narrows it.
      const resolveAny = resolve as (result: HostResults[HostOp]) => void;
      this.pending.set(id, { resolve: settle(resolveAny), reject: settle(reject), ...(onEvent ? { onEvent } : {}) });
      this.host.send({ id, command }, (error) => {
        if (error) this.fail(id, error);
      });
    });
    return { id, done };
  }

  private fail(id: number, error: Error): void {
    const call = this.pending.get(id);
    this.pending.delete(id);
    call?.reject(error);
  }

  /**
   * Starts a command and resolves at its first milestone (undefined if it ends without one), leaving
   * it running; `resume` lets a command held at a pause point go on.
   */
  until<C extends HostCommand>(command: C): { reached: Promise<HostEvent | undefined>; done: Promise<ResultOf<C>>; resume: () => Promise<Empty> } {
    let reach!: (event: HostEvent | undefined) => void;
    const reached = new Promise<HostEvent | undefined>((resolve) => (reach = resolve));
    const { id, done } = this.start(command, reach);
    done.then(() => reach(undefined), () => reach(undefined));
    return { reached, done, resume: () => this.call({ op: 'resume', of: id }) };
  }

  /** Kills the host and waits for it to be gone; says how it ended. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<string> {
    // A traced host may sit stopped by strace; it is killed itself, not only its tracer.
    if (!this.ended) this.killTracee();
    if (signal === 'SIGKILL') return this.host.kill();
    if (!this.ended) this.host.signalWith(signal);
    return this.exit;
  }

  private killTracee(): void {
    try {
      if (this.tracee) process.kill(this.tracee, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Runs a scenario's `body` on a row in a temp directory of its own with fresh hosts: all gone when it returns or throws. */
export function withHosts<T>(library: AuditedLibrary, names: string[], body: (hosts: AuditHost[], ws: Workspace) => Promise<T>, options: { poolSize?: number } = {}): Promise<T> {
  return withWorkspace('contend-audit-', async (ws) => {
    const hosts: AuditHost[] = [];
    try {
      for (const name of names) hosts.push(new AuditHost(name, library, options));
      return await body(hosts, ws);
    } finally {
      await Promise.all(hosts.map((h) => h.kill()));
    }
  });
}

let strace: boolean | undefined;
/**
 * Whether strace can trace here (installed, and ptrace allowed): it is what holds a writer inside
 * one of its write calls.
 */
export function straceAvailable(): boolean {
  strace ??= spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', '--', process.execPath, '-e', ''], { stdio: 'ignore' }).status === 0;
  return strace;
}
