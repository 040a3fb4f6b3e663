/**
 * The seed's large document: `items` entries, pretty-printed as `json.dump(…, indent=2)` does.
 * `version` tells two saves of the same size apart.
 */
export function makeDocument(items: number, version: string): string {
  return JSON.stringify({ version, items: makeItems(items) }, null, 2);
}

export function makeItems(items: number): { id: number; name: string; value: number; tags: string[] }[] {
  return Array.from({ length: items }, (_, i) => ({ id: i, name: `item-${i}`, value: (i * 7919) % 10007, tags: ['a', 'b'] }));
}
