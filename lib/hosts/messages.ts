import type { HostReply, HostRequest } from '../audit/protocol.js';
import type { WriterOrder } from '../fuzz/protocol.js';
import type { DriverMessage, HostAssignment, HostMessage, ThreadTask } from '../case/protocol.js';
import type { ClientAssignment, ClientMessage, ClientTask, FleetMessage } from '../workload/protocol.js';
import type { CrashOrder, CrashWriterMessage } from '../stress/protocol.js';
import type { RecordOrder, RecordReply, RecordTask } from '../powerloss/protocol.js';
import type { ExploreDriverMessage, ExploreHostMessage, ExploreProcessStart, ExploreThreadTask } from '../explore/protocol.js';

/**
 * Every host of workers/ by its entry's name, with what it is sent and what it sends back. A
 * host's messages are declared in the protocol.ts of the system it serves (lib/case/protocol.ts for the
 * actor hosts, lib/audit/, lib/workload/, lib/writes/, lib/fuzz/); this table only names them, so
 * that `launch` and `runPinned`, given a host's name, type both ends of its channel, and its entry
 * in workers/ takes the same types from here.
 */
export interface HostMessages {
  'process-host': { toHost: HostAssignment | DriverMessage; fromHost: HostMessage };
  'thread-host': { task: ThreadTask; toHost: DriverMessage; fromHost: HostMessage };
  'audit-host': { toHost: HostRequest; fromHost: HostReply };
  /** Runs as a pinned thread task or as a process: the same messages either way, plus the spec first. */
  'workload-client': { task: ClientTask; toHost: FleetMessage | ClientAssignment; fromHost: ClientMessage };
  'crash-writer': { toHost: CrashOrder; fromHost: CrashWriterMessage };
  /** An actor of `contend explore`; a process host announces on a pipe of its own, not here. */
  'explore-host': { task: ExploreThreadTask; toHost: ExploreProcessStart | ExploreDriverMessage; fromHost: ExploreHostMessage };
  /** Records one save for `contend powerloss`, in a thread or a process, and answers once. */
  'powerloss-recorder': { task: RecordTask; toHost: RecordOrder; fromHost: RecordReply };
  /** Says nothing back: what it did is in its journal. */
  'fuzz-writer': { toHost: WriterOrder; fromHost: never };
}

export type HostName = keyof HostMessages;
export type ToHost<H extends HostName> = HostMessages[H]['toHost'];
export type FromHost<H extends HostName> = HostMessages[H]['fromHost'];
/** The hosts that run as pinned thread tasks, and the task each is given. */
export type ThreadHostName = { [H in HostName]: HostMessages[H] extends { task: object } ? H : never }[HostName];
export type TaskOf<H extends ThreadHostName> = HostMessages[H]['task'];
