import type { Schedule } from '../../lib/index.js';

/**
 * Worker 2 saves first, so the file holds its content. Worker 1's save is held just before its
 * first data write (after truncate's open, or after opening a temp file), and worker 2 reads then.
 *
 *   0  [(2, 'write')]
 *   1  [(1, 'write', pause='write')]
 *   2  [(2, 'read')]                 ← what a concurrent reader sees mid-save
 *   3  [(1, 'resume')]
 *   4  [(1, 'read'), (2, 'read')]
 */
export const readDuringSave: Schedule = {
  workers: 2,
  period: 1,
  pattern: 'staggered',
  ticks: [
    { at: 0, actions: [{ worker: 2, op: 'write' }] },
    { at: 1, actions: [{ worker: 1, op: 'write', pause: 'write' }] },
    { at: 2, actions: [{ worker: 2, op: 'read' }] },
    { at: 3, actions: [{ worker: 1, op: 'resume' }] },
    { at: 4, actions: [{ worker: 1, op: 'read' }, { worker: 2, op: 'read' }] },
  ],
};

