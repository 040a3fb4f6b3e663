/**
 * Settles like `promise`, or rejects with `failure()` once `ms` have passed without it settling.
 * The promise itself goes on; its timer is cleared either way.
 */
export async function settledWithin<T>(promise: Promise<T>, ms: number, failure: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(failure()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
