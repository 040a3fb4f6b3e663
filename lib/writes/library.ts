import { importPeer } from '../support/peer.js';
import { installFsTrace } from './trace.js';

/**
 * Loads the npm library a write strategy wraps, on its first save. The step trace goes in first:
 * some keep the fs functions they find when they load (atomically, through stubborn-fs), and a
 * save traced later must still show its steps.
 */
export function importWriter<T>(pkg: string, load: () => Promise<T>): Promise<T> {
  installFsTrace();
  return importPeer(pkg, `the ${pkg} write strategy`, load);
}
