export { SERVER_KINDS, serverUrlFromEnv, type ServerKind, type ServerAddress } from './types.js';
export { MissingServerError } from './binaries.js';
export { startServer, type Server } from './start.js';
export { sharedServer, stopSharedServers } from './shared.js';
