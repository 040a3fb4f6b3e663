/** The servers contend can start for a lock or a storage of the workload. */
export const SERVER_KINDS = ['postgres', 'redis', 'etcd'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

/** Where a started server listens: always 127.0.0.1, on a port that was free. */
export interface ServerAddress {
  kind: ServerKind;
  host: string;
  port: number;
  /** What a client library takes: `postgres://contend@127.0.0.1:port/postgres`, `redis://…`, `http://…`. */
  url: string;
}

/**
 * A server of the user's for every lock and storage of that kind that has no url of its own:
 * `CONTEND_POSTGRES_URL`, `CONTEND_REDIS_URL`, `CONTEND_ETCD_URL` (a CI job's service container, a
 * server already running). contend then starts none of that kind.
 */
export const serverEnvName = (kind: ServerKind): string => `CONTEND_${kind.toUpperCase()}_URL`;
export const serverUrlFromEnv = (kind: ServerKind): string | undefined => process.env[serverEnvName(kind)] || undefined;
