import { bothOf, sendConsoleTo } from '../support/console.js';
import type { FromHost, HostName, ToHost } from './messages.js';

// The host's side of launch(), in a module of its own: a host loads this, not the spawning side
// (child_process and the death-signal launcher), which only the parent needs.

/** A host's end of the channel `launch` opened: what its parent sends, and how to answer. */
export interface ParentChannel<In, Out> {
  /** Resolves once the message is handed to the channel: what a host must wait for before it ends. */
  post(message: Out): Promise<void>;
  onMessage(handler: (message: In) => void): void;
  once(handler: (message: In) => void): void;
  /** Closes the channel: the parent then knows every message of this host is in. */
  disconnect(): void;
}

export interface ParentChannelOptions {
  /** What starts this host, for the one started by hand: `contend fuzz`, the driver. */
  startedBy: string;
  /**
   * When the parent goes away: by default the host exits with status 1, since nobody is left to
   * report to. null: it stays, for a host that closes the channel itself and ends on its own.
   */
  onDisconnect?: (() => void) | null;
}

/**
 * Opens the channel to the parent that launched this host (`host` names it, and so types it). A
 * host started without one (by hand) is told what starts it, and exits with status 2.
 */
export function parentChannel<H extends HostName>(host: H, { startedBy, onDisconnect = () => process.exit(1) }: ParentChannelOptions): ParentChannel<ToHost<H>, FromHost<H>> {
  const send = process.send?.bind(process);
  if (!send) {
    process.stderr.write(`contend ${host.replace('-', ' ')}: start me through ${startedBy} (an IPC channel is needed)\n`);
    process.exit(2);
  }
  // Its stdout is the driver's stderr (launch): what the host's code prints is seen as it comes.
  // Its own stderr is kept for the report of its end: Node's words when it fails, and the errors
  // the host's code printed (also seen as they come), which often say why.
  sendConsoleTo(process.stdout, bothOf(process.stdout, process.stderr));
  if (onDisconnect) process.on('disconnect', onDisconnect);
  return {
    post: (message) => new Promise((resolve) => send(message, undefined, {}, () => resolve())),
    onMessage: (handler) => void process.on('message', handler as (m: unknown) => void),
    once: (handler) => void process.once('message', handler as (m: unknown) => void),
    disconnect: () => process.disconnect(),
  };
}
