import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { onExitUndo } from '../support/cleanup.js';
import { ContendError } from '../errors.js';
import { hostEntry } from './entry.js';
import type { FromHost, HostName, ToHost } from './messages.js';

export interface LaunchOptions {
  env?: NodeJS.ProcessEnv;
  /** `advanced` lets messages carry what structured clone carries (the default for hosts). */
  serialization?: 'json' | 'advanced';
  /** Run the child under strace with these options (the audit's torn-read scenario). */
  strace?: string[];
  /** How much of the child's stderr to keep for the report of its end, characters. */
  keepStderr?: number;
  /**
   * Pipes beyond the IPC channel, as fds 4, 5, …: what a host reads or writes synchronously
   * (blocking there, which an IPC message cannot do). `pipe(fd)` is the parent's end.
   */
  extraPipes?: number;
  /**
   * The child runs contend's own code on local files only (see `ownFileCode`): it starts without
   * NODE_EXTRA_CA_CERTS, which it could never use (withoutCertificates).
   */
  filesOnly?: boolean;
}

/** A child process contend started: tied to this process, watched until it ends. */
export interface Launched<In = unknown, Out = unknown> {
  /** Its pid; undefined when it could not be started. */
  readonly pid: number | undefined;
  /**
   * How it ended, in the words every fault report uses: `killed by SIGKILL`, `exited with code 1`,
   * `could not start: spawn EAGAIN`, then `; stderr: …` if it wrote any.
   */
  readonly exited: Promise<string>;
  /** After the exit, once its stdio and IPC channel are drained too (its last messages are in). */
  readonly closed: Promise<void>;
  /** Its exit code and the signal that ended it, once it has ended; both null while it runs or if it never ran. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly alive: boolean;
  onMessage(handler: (message: Out) => void): void;
  /**
   * Sends a message; false (and the error to `done`) when it cannot go, because the child has
   * ended or never ran: its `exited` says why, so a caller need not handle a throw.
   */
  send(message: In, done?: (error: Error | null) => void): boolean;
  /** The parent's end of an extra pipe (LaunchOptions.extraPipes), by the child's fd number. */
  pipe(fd: number): NodeJS.ReadableStream & NodeJS.WritableStream;
  /** Forgets what was written to stderr so far (a reused host starting its next actor). */
  clearStderr(): void;
  /** An idle child must not keep this process alive; a busy one must. */
  hold(busy: boolean): void;
  /** Sends a signal other than the kill (a graceful SIGTERM). */
  signalWith(signal: NodeJS.Signals): void;
  /** SIGKILLs it (if it still runs) and resolves once it is gone, with how it ended. */
  kill(): Promise<string>;
}

/** A launched host of workers/, its messages typed by its name. */
export type LaunchedHost<H extends HostName> = Launched<ToHost<H>, FromHost<H>>;

let pdeathsig: string | null | undefined;

/**
 * `setpriv --pdeathsig KILL`, where the system has it (util-linux, Linux): the kernel SIGKILLs
 * the child the moment this process dies, whatever killed it, even SIGKILL, and even when the
 * child's own event loop is blocked. Elsewhere the children's IPC disconnect handlers are the tie.
 */
function deathSignalWrapper(): string | null {
  if (pdeathsig !== undefined) return pdeathsig;
  pdeathsig = null;
  if (process.platform !== 'linux') return pdeathsig;
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir, 'setpriv');
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    // Old util-linux (before 2.33) has setpriv without --pdeathsig. The probe runs setpriv itself,
    // not node: a node started where threads are scarce (a small process limit) can hang for good.
    const probe = spawnSync(candidate, ['--pdeathsig', 'KILL', '--', candidate, '--version'], { stdio: 'ignore', timeout: 10_000 });
    // A probe that could not run at all (EAGAIN) says nothing of setpriv: asked again next time.
    if (probe.error) pdeathsig = undefined;
    else if (probe.status === 0) pdeathsig = candidate;
    break;
  }
  return pdeathsig ?? null;
}

/**
 * The command line that runs `argv` so that it dies with this process; `as` runs it as that user
 * and group instead (a server that refuses root), through the same setpriv, which sets the death
 * signal after it changes the ids (a change of ids clears it).
 */
export function tiedToParent(argv: string[], as?: { uid: number; gid: number }): string[] {
  const wrapper = deathSignalWrapper();
  const ids = as ? ['--reuid', String(as.uid), '--regid', String(as.gid), '--clear-groups'] : [];
  if (as && !wrapper) throw new ContendError('E_SERVER_START', `running ${argv[0]} as another user needs setpriv (util-linux)`);
  return wrapper ? [wrapper, '--pdeathsig', 'KILL', ...ids, '--', ...argv] : argv;
}

/**
 * Node 20 reads the certificates NODE_EXTRA_CA_CERTS names at every start, before any code runs,
 * not at the first TLS connection: with a system bundle (a company proxy's usual setting) that is
 * about 55 ms of CPU, twice what the rest of a bare `node -e 0` takes. A child that makes no TLS
 * connection is spared it; any other child keeps the variable, since code of the user's may
 * connect through that proxy.
 */
export function withoutCertificates(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.NODE_EXTRA_CA_CERTS === undefined) return env;
  const { NODE_EXTRA_CA_CERTS: _certificates, ...rest } = env;
  return rest;
}

/**
 * Starts a host of workers/ as a child process with an IPC channel, typed by what the host is sent
 * and sends (lib/hosts/messages.ts). Every child started here ends when this process ends: at once
 * when it is killed (the death signal), and through the exit hook on a normal exit. A child that
 * cannot be started (EAGAIN under a process limit) is reported as ended, never waited for. A
 * missing build throws (E_NOT_BUILT) before anything is started.
 */
export function launch<H extends HostName>(host: H, options: LaunchOptions = {}): LaunchedHost<H> {
  const node = tiedToParent([process.execPath, hostEntry(host)]);
  // Under strace the tracer is the child's parent: it is tied to us, and the host to it.
  const argv = options.strace ? tiedToParent(['strace', ...options.strace, '--', ...node]) : node;
  type In = ToHost<H>;
  type Out = FromHost<H>;
  // What the host's code prints (its console writes to its stdout: parentChannel) reaches the user
  // on this process's stderr, never in a report on its stdout. Its stderr is what Node writes when
  // it fails: kept for the report of its end.
  const stdio: StdioOptions = ['ignore', 2, 'pipe', 'ipc', ...Array<'pipe'>(options.extraPipes ?? 0).fill('pipe')];
  let child: ChildProcess;
  try {
    const env = options.env ?? process.env;
    child = spawn(argv[0]!, argv.slice(1), { stdio, env: options.filesOnly ? withoutCertificates(env) : env, serialization: options.serialization ?? 'advanced' });
  } catch (error) {
    // Some spawn failures (ENOMEM) are thrown rather than emitted: reported the same way.
    return notStarted<In, Out>(error as Error);
  }
  const forget = onExitUndo(() => void child.kill('SIGKILL'));
  const keep = options.keepStderr ?? 4_000;
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-keep)));
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      const written = stderr.trim();
      resolve(`${signal ? `killed by ${signal}` : `exited with code ${code}`}${written ? `; stderr: ${written}` : ''}`);
    });
    // A process that could not be started reports only an error, never an exit.
    child.on('error', (error) => {
      if (child.pid === undefined) resolve(`could not start: ${error.message}`);
    });
  });
  void exited.then(forget);
  const closed = new Promise<void>((resolve) => {
    child.once('close', () => resolve());
    void exited.then(() => child.pid === undefined && resolve());
  });
  const alive = (): boolean => child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  const hold = (busy: boolean): void => {
    for (const handle of [child, child.channel, ...child.stdio.slice(2)] as ({ ref(): void; unref(): void } | null | undefined)[]) {
      if (busy) handle?.ref();
      else handle?.unref();
    }
  };
  return {
    get pid() {
      return child.pid;
    },
    exited,
    closed,
    get code() {
      return child.exitCode;
    },
    get signal() {
      return child.signalCode;
    },
    get alive() {
      return alive();
    },
    onMessage: (handler) => void child.on('message', handler as (m: unknown) => void),
    send(message, done) {
      // Without a channel (EMFILE at spawn) there is no send at all; with a closed one it throws.
      try {
        if (!child.send || !child.connected) throw new Error(child.pid === undefined ? 'the process could not be started' : 'its channel is closed');
        return child.send(message as object, undefined, {}, (error) => done?.(error));
      } catch (error) {
        done?.(error as Error);
        return false;
      }
    },
    pipe(fd) {
      const end = child.stdio[fd];
      if (!end) throw new Error(`no pipe on fd ${fd}: launch it with extraPipes`);
      return end as unknown as NodeJS.ReadableStream & NodeJS.WritableStream;
    },
    clearStderr: () => void (stderr = ''),
    hold,
    signalWith: (signal) => void (alive() && child.kill(signal)),
    kill() {
      // Waiting for the exit needs the handle referenced: an idle child's is not, and the event
      // loop would otherwise drain before the exit arrives, ending this process in mid-await.
      hold(true);
      if (alive()) child.kill('SIGKILL');
      return exited;
    },
  };
}

/** The child that never was: ended from the start, with the reason. */
function notStarted<In, Out>(error: Error): Launched<In, Out> {
  const exited = Promise.resolve(`could not start: ${error.message}`);
  return {
    pid: undefined,
    exited,
    closed: Promise.resolve(),
    code: null,
    signal: null,
    alive: false,
    onMessage: () => {},
    send: (_message, done) => (done?.(error), false),
    pipe: () => {
      throw error;
    },
    clearStderr: () => {},
    hold: () => {},
    signalWith: () => {},
    kill: () => exited,
  };
}
