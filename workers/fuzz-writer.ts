import { parentChannel } from '../lib/hosts/parent.js';
import { putUntilKilled } from '../lib/fuzz/writer.js';

/**
 * Child-process entry of the kill fuzz: one order over IPC, then puts until SIGKILL. Without its
 * parent nobody will kill or read this child, so it leaves when the channel closes.
 */
parentChannel('fuzz-writer', { startedBy: '`contend fuzz`' }).once((order) => {
  putUntilKilled(order).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  });
});
