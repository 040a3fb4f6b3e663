import { Console } from 'node:console';
import { Writable } from 'node:stream';

let redirected = false;

/**
 * Sends this thread's console to other streams: `console.log` and its kind to `stdout`,
 * `console.error` and `console.warn` to `stderr`. contend's reports own the driver's stdout (a
 * `--json` report there is read by other programs), yet an adapter being debugged prints: what it
 * prints reaches the user on the driver's stderr from every kind of worker. The command line and
 * every thread task send both to stderr; a process host sends its console to its stdout, which
 * launch made the driver's stderr, and its errors to its own stderr as well, which the fault report
 * of its end quotes. The console object stays; its methods become the new Console's, and those a
 * Console lacks (profile, timeStamp) stay as they were.
 */
export function sendConsoleTo(stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream = stdout): void {
  if (redirected) return;
  redirected = true;
  const to = new Console({ stdout, stderr });
  for (const [name, method] of Object.entries(to)) {
    if (typeof method === 'function') (console as unknown as Record<string, unknown>)[name] = method;
  }
}

/** A stream that writes what it is given to each of `streams`, in order. */
export function bothOf(...streams: NodeJS.WritableStream[]): NodeJS.WritableStream {
  return new Writable({
    // Done at once, not at the last stream's callback (the next tick): a write that waited would
    // be lost to a process.exit() right after it, which is when what a host says matters most.
    write(chunk: Buffer, _encoding, done) {
      for (const stream of streams) stream.write(chunk);
      done();
    },
  });
}
