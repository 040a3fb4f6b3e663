/** What a library is audited as: a lock, or a writer of JSON files. */
export type Role = 'lock' | 'writer';

export type PropertyId =
  | 'excludes-async'
  | 'excludes-threads'
  | 'excludes-processes'
  | 'holder-killed'
  | 'thread-terminated'
  | 'stall-safe'
  | 'pause-safe'
  | 'fencing'
  | 'server-paused'
  | 'server-restart'
  | 'partition-safe'
  | 'stale-race'
  | 'fd-close-safe'
  | 'pool-free'
  | 'no-lost-updates'
  | 'temp-unique'
  | 'no-torn-target'
  | 'no-orphan-temp'
  | 'fsyncs-data'
  | 'fsyncs-directory'
  | 'survives-power-loss';

export interface Property {
  id: PropertyId;
  role: Role;
  /** Column header: a few words. */
  title: string;
  /** What "yes" means, for the legend. */
  meaning: string;
}

/** The audit's columns, in table order. Each is a property a user wants to hear "yes" to. */
export const PROPERTIES: readonly Property[] = [
  { id: 'excludes-async', role: 'lock', title: 'excludes async actors', meaning: 'two holders in one thread exclude each other' },
  { id: 'excludes-threads', role: 'lock', title: 'excludes threads', meaning: 'two worker_threads of one process exclude each other' },
  { id: 'excludes-processes', role: 'lock', title: 'excludes processes', meaning: 'two processes exclude each other' },
  { id: 'holder-killed', role: 'lock', title: 'holder SIGKILLed', meaning: 'another contender gets the lock after its holder is SIGKILLed (and how soon)' },
  { id: 'thread-terminated', role: 'lock', title: 'holder thread terminated', meaning: "another process gets the lock after the holder's worker_thread is terminated (and how soon)" },
  { id: 'stall-safe', role: 'lock', title: 'safe under event-loop stall', meaning: 'a live holder whose event loop stalls keeps the lock' },
  { id: 'pause-safe', role: 'lock', title: 'excludes under pauses', meaning: 'a holder paused (SIGSTOP) after reading a counter, then resumed, loses no increment: no one else got the lock meanwhile' },
  {
    id: 'fencing',
    role: 'lock',
    title: 'fencing refuses a paused holder',
    meaning: "with each write carrying its hold's fencing token and the store refusing a token below one it has seen, the paused holder's stale write is refused and nothing is lost",
  },
  {
    id: 'server-paused',
    role: 'lock',
    title: 'answers while its server is paused',
    meaning: 'a contender asking for the lock while its server is paused (SIGSTOP) gets an error within its timeout rather than waiting as long as the server, and a new contender gets the lock once the server resumes (and how soon)',
  },
  { id: 'server-restart', role: 'lock', title: 'excludes across a server restart', meaning: 'a holder keeps the lock while its server restarts: no one else gets it meanwhile, and no increment is lost' },
  {
    id: 'partition-safe',
    role: 'lock',
    title: 'excludes when its holder is cut off',
    meaning: 'a holder cut off from its server (a partition: its connections silent, not closed) keeps the lock from the others, and no increment is lost once the partition heals',
  },
  { id: 'stale-race', role: 'lock', title: 'one stale reclaimer', meaning: 'two contenders reclaiming one stale lock cannot both win' },
  { id: 'fd-close-safe', role: 'lock', title: 'survives other fd close', meaning: 'the holder keeps the lock when it opens and closes the file elsewhere' },
  { id: 'pool-free', role: 'lock', title: 'waiting leaves fs free', meaning: "the library's own wait leaves libuv's pool to other fs calls" },
  { id: 'no-lost-updates', role: 'writer', title: 'no lost updates', meaning: 'read-modify-write increments by processes, without an outer lock, all count' },
  { id: 'temp-unique', role: 'writer', title: 'concurrent saves', meaning: 'two processes saving at once both succeed, each with its own temp file' },
  { id: 'no-torn-target', role: 'writer', title: 'no torn target', meaning: 'SIGKILL before any step leaves the old or the new document' },
  { id: 'no-orphan-temp', role: 'writer', title: 'no orphan temp', meaning: 'SIGKILL before any step leaves no temp file behind' },
  { id: 'fsyncs-data', role: 'writer', title: 'fsyncs data', meaning: 'the new bytes are fsynced before the rename makes them the target' },
  { id: 'fsyncs-directory', role: 'writer', title: 'fsyncs directory', meaning: 'the directory is fsynced after the rename' },
  {
    id: 'survives-power-loss',
    role: 'writer',
    title: 'survives power loss',
    meaning: 'every state a power cut can leave of a save (ALICE\'s model, doc/powerloss.md) holds the old or the new document, and the new one once the save had returned',
  },
];

export const propertyIds = (): string[] => PROPERTIES.map((p) => p.id);
