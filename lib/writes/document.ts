import { existsSync, readFileSync } from 'node:fs';
import { ContendError } from '../errors.js';
/**
 * The large document of the MDV JSON write stress tests: `items` entries, pretty-printed as `json.dump(…, indent=2)` does.
 * `version` tells two saves of the same size apart.
 */
export function makeDocument(items: number, version: string): string {
  return JSON.stringify({ version, items: makeItems(items) }, null, 2);
}

export function makeItems(items: number): { id: number; name: string; value: number; tags: string[] }[] {
  return Array.from({ length: items }, (_, i) => ({ id: i, name: `item-${i}`, value: (i * 7919) % 10007, tags: ['a', 'b'] }));
}

/**
 * Whether a file's text holds a document: the same bytes, or the same JSON value, since writers
 * that format the document themselves (lowdb indents, conf uses tabs) save it in other bytes.
 */
export function sameDocument(text: string): (data: string) => boolean {
  let parsed: string | undefined;
  try {
    parsed = JSON.stringify(JSON.parse(text));
  } catch {
    // not JSON at all: only an exact match could be the document
  }
  return (data) => text === data || (parsed !== undefined && parsed === JSON.stringify(JSON.parse(data)));
}

/** What makes one write of one actor unique, as in the MDV JSON write stress tests: name, process, thread. */
export interface WriterMeta {
  worker: number;
  name: string;
  kind: string;
  pid: number;
  threadId: number;
  write: number;
}

/**
 * The document an actor saves on one write. Sizes differ from worker to worker and write to write,
 * as real documents do: a shorter save over a longer one is where a truncating writer leaves a tail
 * of the old bytes. Without `payloadItems` it is the meta alone.
 */
export function writerDocument(meta: WriterMeta, payloadItems: number | undefined): WriterMeta & { items?: ReturnType<typeof makeItems> } {
  if (!payloadItems) return meta;
  return { ...meta, items: makeItems(payloadItems + ((meta.worker * 37 + meta.write * 13) % 101)) };
}

/** What a target holds after a save, or a crash in one: the old document, the new, or what else. */
export type FileState = 'old' | 'new' | 'empty' | 'torn' | 'missing';

export function fileState(path: string, oldData: string, newData: string): FileState {
  return textState(existsSync(path) ? readFileSync(path, 'utf8') : undefined, oldData, newData);
}

/** fileState of a file's text (undefined: there is no file), wherever the text came from. */
export function textState(text: string | undefined, oldData: string, newData: string): FileState {
  if (text === undefined) return 'missing';
  if (text.length === 0) return 'empty';
  const holds = sameDocument(text);
  if (holds(oldData)) return 'old';
  if (holds(newData)) return 'new';
  return 'torn';
}

/**
 * A save that returned must have put the new document in place: one that did not is said plainly
 * (E_NOT_SAVED), since every crash state of a save that wrote nothing looks sound.
 */
export function requireSaved(strategy: string, state: FileState): void {
  if (state === 'new') return;
  const found = { old: 'the old document still', missing: 'nothing (it is gone)', empty: 'an empty file', torn: 'neither document (torn)' }[state];
  throw new ContendError('E_NOT_SAVED', `${strategy} returned from its save, but the target holds ${found}: the save did not write the target`);
}
