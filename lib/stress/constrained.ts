import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDirectory } from '../support/cleanup.js';
import { commonJsThread } from '../support/eval-thread.js';
import { withCpuLoad } from '../support/load.js';
import { concurrentScenario, type ConcurrentResult } from './concurrent.js';

// Writes 1 MiB and fsyncs it, over and over, until terminated: contention for the disk.
const IO_HOG = `
const { openSync, writeSync, fsyncSync, closeSync } = require('node:fs');
const { workerData } = require('node:worker_threads');
const block = Buffer.alloc(1 << 20, 120);
for (;;) { const fd = openSync(workerData, 'w'); writeSync(fd, block); fsyncSync(fd); closeSync(fd); }
`;

/**
 * The resource_constrained scenario: the concurrent scenario with process writers, while busy threads
 * keep every core loaded and another thread keeps the disk busy with fsynced writes.
 */
export async function constrainedScenario(options: { write: string; iterations?: number; payloadItems?: number; cpuThreads?: number }): Promise<ConcurrentResult> {
  const { dir, forget } = tempDirectory('contend-hog-');
  const io = commonJsThread(IO_HOG, { workerData: join(dir, 'hog.bin') });
  io.on('error', () => {});
  try {
    return await withCpuLoad(options.cpuThreads ?? 2, () =>
      concurrentScenario({ kind: 'process', write: options.write, ...(options.iterations ? { iterations: options.iterations } : {}), ...(options.payloadItems ? { payloadItems: options.payloadItems } : {}) }),
    );
  } finally {
    await io.terminate();
    rmSync(dir, { recursive: true, force: true });
    forget();
  }
}
