import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

/**
 * Where a workload client says what it is doing, so that when it dies or hangs the fleet can name
 * its last action: shared memory for a thread, a small file for a process (read after its death;
 * one pwrite per action, no message on the channel the run measures).
 */
export type ProgressSpec = { buffer: SharedArrayBuffer } | { file: string };

export interface ClientProgress {
  action: string;
  close(): void;
}

const SIZE = 256;

export function progressSpec(kind: 'thread' | 'process', file: string): ProgressSpec {
  return kind === 'thread' ? { buffer: new SharedArrayBuffer(SIZE) } : { file };
}

/** The client's side: every action set is published at once. */
export function openProgress(spec: ProgressSpec | undefined): ClientProgress {
  const encoder = new TextEncoder();
  let publish: (text: string) => void = () => {};
  let close = (): void => {};
  if (spec && 'buffer' in spec) {
    const length = new Int32Array(spec.buffer, 0, 1);
    const bytes = new Uint8Array(spec.buffer, 4);
    publish = (text) => Atomics.store(length, 0, encoder.encodeInto(text, bytes).written);
  } else if (spec) {
    const fd = openSync(spec.file, 'w');
    const record = Buffer.alloc(SIZE);
    publish = (text) => {
      record.fill(0x20);
      record.write(text);
      writeSync(fd, record, 0, SIZE, 0);
    };
    close = () => closeSync(fd);
  }
  let action = '';
  const progress: ClientProgress = {
    get action() {
      return action;
    },
    set action(text: string) {
      action = text;
      publish(text);
    },
    close,
  };
  progress.action = 'start';
  return progress;
}

/** The fleet's side: the last action the client published, if any. */
export function lastAction(spec: ProgressSpec | undefined): string | undefined {
  if (!spec) return undefined;
  let text: string;
  if ('buffer' in spec) {
    const length = Atomics.load(new Int32Array(spec.buffer, 0, 1), 0);
    text = new TextDecoder().decode(new Uint8Array(spec.buffer, 4, length).slice());
  } else {
    try {
      text = readFileSync(spec.file, 'utf8');
    } catch {
      return undefined;
    }
  }
  return text.trim() || undefined;
}
