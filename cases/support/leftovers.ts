import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fdTargets, processTree } from '../../lib/servers/process.js';

/** Temporary directories contend creates for cases. */
export function caseDirs(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith('contend-'));
}

/** Processes under this one (children, and theirs) that run a contend worker host (of those named). */
export function hostProcesses(hosts = /process-host|workload-client|audit-host|explore-host|powerloss-recorder/): number[] {
  return processTree(process.pid)
    .slice(1)
    .filter((pid) => {
      try {
        return hosts.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      } catch {
        return false; // the process ended while we looked
      }
    });
}

/** Files of a case directory this process still has open. */
export const openCaseFiles = (): string[] => fdTargets('self').filter((target) => target.includes('/contend-'));
