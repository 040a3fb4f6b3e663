import { putUntilKilled, type WriterOrder } from '../lib/fuzz/writer.js';

/**
 * Child-process entry of the kill fuzz: one order over IPC, then puts until SIGKILL. Without its
 * parent nobody will kill or read this child, so it leaves when the channel closes.
 */
if (!process.send) {
  process.stderr.write('contend fuzz writer: start me through `contend fuzz` (an IPC channel is needed)\n');
  process.exit(2);
}
process.on('disconnect', () => process.exit(1));
process.once('message', (order: WriterOrder) => {
  putUntilKilled(order).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  });
});
