import { afterAll } from 'vitest';
import { closeProcessPool, closeThreadPool } from '../../lib/index.js';
import './matchers.js';

// Idle threads and process hosts are kept warm between cases; none outlives a test file.
afterAll(async () => {
  await closeThreadPool();
  await closeProcessPool();
});
