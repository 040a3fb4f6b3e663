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
 * of its end quotes. Only the writing methods are replaced: profile, timeStamp and the rest stay.
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
    write(chunk: Buffer, _encoding, done) {
      for (const stream of streams.slice(0, -1)) stream.write(chunk);
      streams.at(-1)!.write(chunk, done);
    },
  });
}
