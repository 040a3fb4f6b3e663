import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { resolve, sep } from 'node:path';
import { ContendError } from '../errors.js';
import { tiedToParent } from '../hosts/launch.js';
import { onExitUndo, tempDirectory } from '../support/cleanup.js';

/** A port on 127.0.0.1 that was free a moment ago: the kernel picks it, and the server binds it next. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * The user a server that refuses root runs as, when contend runs as root: the `postgres` user the
 * package made, else `nobody`. Elsewhere the server runs as whoever runs contend.
 */
export function serverUser(preferred: string): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of [preferred, 'nobody']) {
    const id = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (id.status === 0 && gid.status === 0) return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  throw new ContendError('E_SERVER_START', `contend runs as root and found neither a ${preferred} nor a nobody user to run the server as`);
}

/** Whether every directory from the root down to `dir` lets others through (the x bit for others). */
function traversable(dir: string): boolean {
  const parts = resolve(dir).split(sep).filter(Boolean);
  return parts.every((_, i) => (statSync(sep + parts.slice(0, i + 1).join(sep)).mode & 0o001) !== 0);
}

/**
 * A throwaway directory for a server's data, owned by the user it runs as. A server run as another
 * user must reach it: when the temporary directory is private (a test runner's own), /tmp is used.
 */
export function serverDirectory(kind: string, user: { uid: number; gid: number } | undefined): { dir: string; remove(): void } {
  const base = user && !traversable(tmpdir()) ? '/tmp' : tmpdir();
  const { dir, forget } = tempDirectory(`contend-${kind}-`, base);
  if (user) chownSync(dir, user.uid, user.gid);
  return {
    dir,
    remove() {
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
      forget();
    },
  };
}

/** Runs a program to its end (initdb), tied to this process; its output is the error when it fails. */
export function runToEnd(argv: string[], user?: { uid: number; gid: number }): void {
  const [command, ...args] = tiedToParent(argv, user);
  const r = spawnSync(command!, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new ContendError('E_SERVER_START', `${argv[0]} failed (${r.error?.message ?? `exit ${r.status}`}): ${`${r.stdout}${r.stderr}`.trim().split('\n').slice(-3).join(' ')}`);
}

export interface ServerProcess {
  readonly pid: number;
  /** How it ended, once it has. */
  readonly exited: Promise<string>;
  /**
   * SIGSTOP of its every process: the server stops answering, its clients' calls hang (a paused
   * server, a GC pause). Returns once every process has stopped.
   */
  pause(): void;
  resume(): void;
  /** Its stop signal (SIGTERM), then SIGKILL if it has not ended within the grace; resolves once it has ended. */
  stop(graceMs?: number): Promise<void>;
}

/** How long a server may take to say it is ready, ms: a guard against one that never will, not a measure. */
const READY_WITHIN_MS = 120_000;

/**
 * Starts a server tied to this process (it dies with it, whatever the signal) and resolves once
 * its output says it is ready. A server that ends first, or never says so, is an error carrying
 * the end of its output.
 */
export async function startServerProcess(argv: string[], ready: RegExp, user?: { uid: number; gid: number }, stopSignal: NodeJS.Signals = 'SIGTERM'): Promise<ServerProcess> {
  const [command, ...args] = tiedToParent(argv, user);
  const child: ChildProcess = spawn(command!, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  const ended = (): boolean => child.exitCode !== null || child.signalCode !== null;
  // At exit, the server goes with every process of it: SIGKILL reaches a stopped process, and
  // PostgreSQL's backends, in sessions of their own, are not the postmaster's group.
  const forget = onExitUndo(() => {
    if (!ended()) for (const pid of processTree(child.pid!)) kill(pid, 'SIGKILL');
  });
  let output = '';
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exited with code ${code}`));
    child.once('error', (error) => resolve(`could not start: ${error.message}`));
  });
  void exited.then(forget);
  const name = argv[0]!.split('/').at(-1)!;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ContendError('E_SERVER_START', `${name} did not say it was ready within ${READY_WITHIN_MS / 1000} s: ${tail(output)}`)), READY_WITHIN_MS);
    const look = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-20_000);
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    void exited.then((how) => {
      clearTimeout(timer);
      reject(new ContendError('E_SERVER_START', `${name} ${how} before it was ready: ${tail(output)}`));
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw error;
  });
  // Its output is no longer looked at; it must not fill the pipe and stall the server.
  child.stdout!.resume();
  child.stderr!.resume();
  const signal = (s: NodeJS.Signals): void => void (!ended() && child.kill(s));
  let paused: PausedTree | undefined;
  const resume = (): void => {
    paused?.resume();
    paused = undefined;
  };
  return {
    pid: child.pid!,
    exited,
    pause() {
      if (!ended() && !paused) paused = pauseTree(child.pid!);
    },
    resume,
    async stop(graceMs = 10_000) {
      // A paused server cannot act on its stop signal.
      resume();
      signal(stopSignal);
      let timer: NodeJS.Timeout | undefined;
      const killed = new Promise<void>((resolve) => (timer = setTimeout(() => (signal('SIGKILL'), resolve()), graceMs)));
      await Promise.race([exited, killed]);
      clearTimeout(timer);
      await exited;
    },
  };
}

const kill = (pid: number, s: NodeJS.Signals): void => {
  try {
    process.kill(pid, s);
  } catch {
    // Ended meanwhile.
  }
};

interface PausedTree {
  resume(): void;
}

/**
 * Stops a server's every process (SIGSTOP): PostgreSQL's backends are children of its postmaster,
 * each in a session of its own, so neither the first process nor its group reaches them. The
 * parent goes first and the tree is read again until nothing new appears (a stopped process forks
 * no more). A watchdog, reading a pipe from this process, resumes them if this process dies
 * meanwhile, SIGKILL included: the pipe's end is its cue. Left stopped, a backend would never see
 * its postmaster gone, and stay for good.
 */
function pauseTree(root: number): PausedTree {
  const stopped = new Set<number>();
  for (let fresh = [root]; fresh.length; fresh = processTree(root).filter((pid) => !stopped.has(pid))) {
    for (const pid of fresh) {
      kill(pid, 'SIGSTOP');
      stopped.add(pid);
    }
    untilStopped(fresh);
  }
  const pids = [...stopped].map(String);
  const watchdog = spawn('sh', ['-c', 'read _; kill -CONT "$@" 2>/dev/null', 'contend-resume', ...pids], { stdio: ['pipe', 'ignore', 'ignore'] });
  watchdog.on('error', () => {});
  watchdog.stdin!.on('error', () => {});
  return {
    resume() {
      // Killed, not told: told, it would send a SIGCONT of its own some time later, which could
      // undo the next pause. It waits in its read, so the kill leaves it no time to send one.
      watchdog.kill('SIGKILL');
      for (const pid of pids) kill(Number(pid), 'SIGCONT');
    },
  };
}

/** How long a pause waits for a process to stop, ms: a guard against one held in the kernel, not a measure. */
const STOP_WITHIN_MS = 10_000;

/**
 * Returns once each process has stopped (or ended). A stop signal takes effect when its process
 * next runs, which on a busy machine may be a while after it was sent: until then the process may
 * still answer a call, or fork a child the next read of the tree must see. Without /proc
 * (Linux's), there is nothing to read, and nothing is waited for.
 */
export function untilStopped(pids: number[]): void {
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const guard = performance.now() + STOP_WITHIN_MS;
  for (const pid of pids) while (runs(pid) && performance.now() < guard) Atomics.wait(nap, 0, 0, 1);
}

/** Whether a process is there and not stopped: its state is not T, t, Z or X. */
function runs(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && !'TtZX'.includes(state);
}

/**
 * The fields of /proc/PID/stat after the command (its state first, then its parent's pid); none
 * when the process has ended or there is no /proc (Linux's).
 */
export function statOf(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** A process's state letter (R, S, T, Z, …), undefined once it is gone. */
export const processState = (pid: number): string | undefined => statOf(pid)?.[0];

/**
 * What each open fd of a process points at, from /proc/PID/fd: a file's path, `socket:[inode]`,
 * `pipe:[inode]`. Empty when the process is gone or there is no /proc (Linux's).
 */
export function fdTargets(pid: number | 'self'): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  return fds.flatMap((fd) => {
    try {
      return [readlinkSync(`/proc/${pid}/fd/${fd}`)];
    } catch {
      // Closed while listed (readdir's own fd among them).
      return [];
    }
  });
}

/**
 * A process and its descendants, from /proc (Linux): parents first. Elsewhere, the process alone.
 */
export function processTree(root: number): number[] {
  let parents: Map<number, number[]>;
  try {
    parents = new Map();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const fields = statOf(Number(entry));
      // Ended while listed.
      if (!fields) continue;
      const ppid = Number(fields[1]);
      const children = parents.get(ppid);
      if (children) children.push(Number(entry));
      else parents.set(ppid, [Number(entry)]);
    }
  } catch {
    return [root];
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i]!) ?? []));
  return tree;
}

const tail = (output: string): string => output.trim().split('\n').slice(-4).join(' | ') || '(no output)';
