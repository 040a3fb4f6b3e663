import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';

/** Temporary directories contend creates for cases. */
export function caseDirs(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith('contend-'));
}

/** Child processes of this process that run a contend worker host. */
export function hostProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (ppid === process.pid && /process-host|workload-client|audit-host|explore-host|powerloss-recorder/.test(cmd)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
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
