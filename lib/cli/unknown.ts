/** What the refusal of an unknown option or command is told. */
export interface UsageContext {
  /** The words typed after `contend`. */
  args: readonly string[];
  /** The word taken for the command, when it names none. */
  typedCommand: () => string;
  /** The usage line of the command that runs (`plot <file>`), if one was named. */
  usage?: string;
  /** Its options (long names), or the global ones when no command was named. */
  options: readonly string[];
  /** The other long names of those that have some. */
  aliases?: Readonly<Record<string, readonly string[]>>;
  commands: readonly string[];
}

const words = (name: string): string[] => name.split('-').map((w) => w.replace(/s$/, ''));

/**
 * The option whose words hold all of the typed one's, plural or not: `--workers-kind` for `--kind`,
 * `--kinds` for `--kind`; of several, the shortest. A typo (`--wrokers`) gets no guess: the list
 * of what is allowed follows anyway.
 */
function likely(typed: string, options: readonly string[]): string | undefined {
  const mine = words(typed);
  const holding = options.filter((option) => mine.every((w) => words(option).includes(w)));
  return holding.sort((a, b) => words(a).length - words(b).length)[0];
}

/**
 * The fewest insertions, deletions, substitutions and swaps of two neighbours that turn a into b
 * (optimal string alignment): "rnu" is one edit from "run", as a typist makes it.
 */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** An option given without its value, as yargs finds it (nothing follows) and as main does (`--locks ''`). */
export const needsValue = (option: string, where: string): string => `option --${option} of ${where} needs a value (see ${where} --help)`;

/**
 * yargs' refusal of an unknown option or word, said as every other bad input is: what was not
 * understood, and what is allowed (the command's options, or the commands). Any other yargs
 * message is returned as it is.
 */
export function explainUsage(message: string, { args, typedCommand, usage, options, aliases = {}, commands }: UsageContext): string {
  const command = usage?.split(' ')[0];
  const where = command ? `contend ${command}` : 'contend';
  const noValue = /^Not enough arguments following: (\S+)$/.exec(message);
  if (noValue) return needsValue(noValue[1]!, where);
  if (/^Not enough non-option arguments/.test(message) && usage) return `missing argument of ${where}; usage: contend ${usage}`;
  const together = /^Arguments (\S+) and (\S+) are mutually exclusive$/.exec(message);
  if (together) return `options --${together[1]} and --${together[2]} of ${where} cannot be given together (see ${where} --help)`;
  const listed = options.map((o) => `--${o}${aliases[o] ? ` (or ${aliases[o].map((a) => `--${a}`).join(', ')})` : ''}`).join(', ');
  const suggested = /^Did you mean (\S+)\?$/.exec(message);
  if (suggested) {
    const typed = typedCommand();
    // yargs suggests any command within 3 edits: "bogus" would be taken for "locks".
    const guess = editDistance(typed, suggested[1]!) <= Math.ceil(typed.length / 3) ? ` (did you mean ${suggested[1]}?)` : '';
    return `unknown command "${typed}"${guess}; allowed: ${commands.join(', ')}`;
  }
  const unknown = /^Unknown arguments?: (.+)$/s.exec(message);
  if (!unknown) return message;
  // yargs names an unknown --foo-bar twice, the second time as fooBar.
  const names = unknown[1]!.split(', ').filter((n, _, all) => !all.some((o) => o !== n && o.includes('-') && o.replace(/-(.)/g, (_m, c: string) => c.toUpperCase()) === n));
  const typedAsOption = (name: string): boolean => args.some((a) => a === `--${name}` || a.startsWith(`--${name}=`) || a === `--no-${name}` || a === `-${name}`);
  const asOptions = names.filter(typedAsOption);
  if (asOptions.length) {
    const guesses = asOptions.map((n) => likely(n, options)).filter((g): g is string => g !== undefined);
    const guess = guesses.length ? ` (did you mean ${guesses.map((g) => `--${g}`).join(', ')}?)` : '';
    const typed = asOptions.map((n) => (n.length === 1 && args.includes(`-${n}`) ? `-${n}` : `--${n}`));
    return `unknown option${asOptions.length > 1 ? 's' : ''} ${typed.join(', ')} for ${where}${guess}; allowed: ${listed}`;
  }
  if (!command) return `unknown command "${names[0]}"; allowed: ${commands.join(', ')}`;
  return `unexpected argument${names.length > 1 ? 's' : ''} ${names.map((n) => `"${n}"`).join(', ')} for ${where}; allowed: ${listed}`;
}
