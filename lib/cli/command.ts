import type { Argv } from 'yargs';

/** The parsed options of a command, as yargs hands them over. */
export type Args = Record<string, unknown>;

/** What a command may tell the CLI beyond its output. */
export interface CommandContext {
  /** The command failed: exit status 1 once the command has printed what it found. */
  fail(): void;
}

/** One CLI command: its options and what it does. Its name and summary are in the CLI's table. */
export interface Command {
  builder(y: Argv): Argv;
  handler(argv: Args): Promise<void>;
}

/** A command module's default export. */
export type CommandFactory = (context: CommandContext) => Command;
