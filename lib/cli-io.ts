import { writeFile } from 'node:fs/promises';

/** A comma list option as its items; absent stays absent. */
export const list = (v: unknown): string[] | undefined => (v === undefined ? undefined : String(v).split(',').map((s) => s.trim()).filter(Boolean));

/** Text by default; JSON with --json, or into the file --json names (the text is printed then too). */
export async function emit(json: unknown, value: unknown, text: string): Promise<void> {
  if (typeof json === 'string' && json !== '') {
    await writeFile(json, JSON.stringify(value, null, 2) + '\n');
    process.stdout.write(`${text}\nwritten: ${json}\n`);
  } else if (json) process.stdout.write(JSON.stringify(value, null, 2) + '\n');
  else process.stdout.write(text + '\n');
}

