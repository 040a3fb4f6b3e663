import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { processTree } from '../../lib/servers/process.js';

/** Temporary directories contend creates for cases. */
export function caseDirs(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith('contend-'));
}

/** Processes under this one (children, and theirs) that run a contend worker host. */
export function hostProcesses(): number[] {
  return processTree(process.pid)
    .slice(1)
    .filter((pid) => {
      try {
        return /process-host|workload-client|audit-host|explore-host|powerloss-recorder/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      } catch {
        return false; // the process ended while we looked
      }
    });
}

/** Files of a case directory this process still has open. */
export function openCaseFiles(): string[] {
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.includes('/contend-')) open.push(target);
    } catch {
      // closed while we looked (readdir's own fd)
    }
  }
  return open;
}
