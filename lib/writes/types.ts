/**
 * A way of saving a JSON document to a path: what the application calls where it would call
 * `fs.writeFileSync(path, JSON.stringify(data))`.
 */
export interface WriteStrategy {
  name: string;
  /** One line for tables and `--help`. */
  description: string;
  /** The npm package it wraps, if any: `contend audit` shows the version installed. */
  package?: string;
  save(path: string, data: string): void | Promise<void>;
  /**
   * Claims that once save() has returned, the new document survives a power cut: `contend
   * powerloss` fails a strategy that claims it and is found to lose or tear a save.
   */
  durable?: boolean;
}
