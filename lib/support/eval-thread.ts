import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A thread running `code`, plain CommonJS given as text: small helpers that must not depend on the
 * build. Without the process's flags: one such as --input-type=module would make the code an ES
 * module, where `require` is not defined, and the thread would fail at its first line.
 */
export function commonJsThread(code: string, options: Omit<WorkerOptions, 'eval' | 'execArgv'> = {}): Worker {
  return new Worker(code, { ...options, eval: true, execArgv: [] });
}
