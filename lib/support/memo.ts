/**
 * One promise for every caller; a failure is forgotten, since what failed (a file being written, a
 * module being fixed) may succeed when asked again. `made()` is the promise, if one is held.
 */
export function once<V>(make: () => Promise<V>): { get(): Promise<V>; made(): Promise<V> | undefined } {
  let value: Promise<V> | undefined;
  return {
    get() {
      if (!value) {
        const made = make();
        value = made;
        made.catch(() => value === made && (value = undefined));
      }
      return value;
    },
    made: () => value,
  };
}

/** once() for each key. */
export function oncePerKey<V>(make: (key: string) => Promise<V>): (key: string) => Promise<V> {
  const made = new Map<string, ReturnType<typeof once<V>>>();
  return (key) => {
    let one = made.get(key);
    if (!one) {
      one = once(() => make(key));
      made.set(key, one);
    }
    return one.get();
  };
}
