import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { closePools } from '../../lib/vitest/index.js';
import { hostProcesses } from './leftovers.js';

// The suite starts hundreds of node processes (the CLI, process hosts, fuzz writers), none of
// which speaks TLS: a CA bundle named by the environment would be parsed by every one of them
// (about 45 ms each where the whole system bundle is named).
delete process.env.NODE_EXTRA_CA_CERTS;

// Each test file gets a temporary directory of its own, so "nothing left behind" can be checked
// exactly, without the files that run alongside in other processes getting in the way.
const outer = process.env.TMPDIR;
let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'contend-suite-'));
  process.env.TMPDIR = scratch;
});

// Idle threads and process hosts are kept warm between cases; none outlives a test file, and no
// case leaves a file or a process behind.
afterAll(async () => {
  await closePools();
  if (outer === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = outer;
  const left = readdirSync(scratch);
  rmSync(scratch, { recursive: true, force: true });
  expect(hostProcesses()).toEqual([]);
  expect(left).toEqual([]);
});
