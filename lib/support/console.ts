import { Console } from 'node:console';

let redirected = false;

/**
 * Sends this thread's console, log and error alike, to `stream`. contend's reports own the driver's
 * stdout (a `--json` report there is read by other programs), yet an adapter being debugged
 * prints: what it prints reaches the user on the driver's stderr from every kind of worker. The
 * command line's handlers and every thread task send theirs to stderr; a process host sends its own
 * to its stdout, which launch made the driver's stderr, so that its stderr keeps only what Node
 * writes when the process fails, for the fault report.
 */
export function sendConsoleTo(stream: NodeJS.WritableStream): void {
  if (redirected) return;
  redirected = true;
  globalThis.console = new Console({ stdout: stream, stderr: stream });
}
