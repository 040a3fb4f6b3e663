import { readFileSync } from 'node:fs';

/** A ```ts file=NAME block of one of the project's documents (README.md, doc/…): what a user would copy. */
export function docBlock(document: string, name: string): string {
  const text = readFileSync(new URL(`../../${document}`, import.meta.url), 'utf8');
  const found = new RegExp('```ts file=' + name.replaceAll('.', '\\.') + '\\n([\\s\\S]*?)```').exec(text)?.[1];
  if (found === undefined) throw new Error(`${document} has no ${name} block`);
  return found;
}
