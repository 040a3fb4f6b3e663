/**
 * One promise per key, shared by every caller; a failure is forgotten, since what failed (a file
 * being written, a module being fixed) may succeed when asked again.
 */
export function oncePerKey<V>(make: (key: string) => Promise<V>): (key: string) => Promise<V> {
  const made = new Map<string, Promise<V>>();
  return (key) => {
    let value = made.get(key);
    if (!value) {
      value = make(key);
      made.set(key, value);
      value.catch(() => made.delete(key));
    }
    return value;
  };
}
