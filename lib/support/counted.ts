/** `1 worker`, `5 workers`: a count with its noun in the number the count needs. */
export const counted = (n: number, noun: string, plural = `${noun}s`): string => `${n} ${n === 1 ? noun : plural}`;
