import { openSync, writeSync } from 'node:fs';
import { JsonFileStore } from '../store/json-file-store.js';
import { FUZZ_ENV, keyForChild } from './harness.js';

interface WriterOrder {
  state: string;
  journal: string;
  child: number;
  start: number;
  lock: string;
  write: string;
  /** Fault injection: leave after this many puts. */
  quitAfter?: number;
}

/**
 * Child mode of the kill fuzz, entered from the CLI's own entry point: puts with growing sequences
 * on this child's key, each acknowledged sequence appended to its journal, until it is killed.
 * Without the environment variable the flag is refused, so a stray flag cannot start it.
 */
export async function runFuzzWriter(argv: string[], flagAt: number): Promise<never> {
  if (process.env[FUZZ_ENV] !== '1') {
    process.stderr.write(`contend: ${argv[flagAt]} is reserved for the kill fuzz's own children; run \`contend fuzz\`\n`);
    process.exit(2);
  }
  const order = JSON.parse(argv[flagAt + 1] ?? '{}') as WriterOrder;
  // Without its parent nobody will kill or read this child: it goes too.
  process.on('disconnect', () => process.exit(1));
  const store = await JsonFileStore.open(order.state, { lock: order.lock, write: order.write });
  const journal = openSync(order.journal, 'a');
  const key = keyForChild(order.child);
  for (let sequence = order.start; ; sequence++) {
    await store.put(key, { sequence });
    // write(2) straight to the kernel: once it returns, a SIGKILL cannot lose the line.
    writeSync(journal, `${sequence}\n`);
    if (order.quitAfter !== undefined && sequence - order.start + 1 >= order.quitAfter) process.exit(3);
  }
}
