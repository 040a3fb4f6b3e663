import type { ChildProcess } from 'node:child_process';

/** The last bytes of a child's stderr, and how it ended, in the words every fault report uses. */
export interface ExitWatch {
  /** Forgets what was written so far (a reused host starting its next actor). */
  clearStderr(): void;
  /** `killed by SIGKILL` / `exited with code 1`, then `; stderr: …` if it wrote any. */
  exited: Promise<string>;
}

export function watchExit(child: ChildProcess, keep = 4_000): ExitWatch {
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-keep)));
  const exited = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      const written = stderr.trim();
      resolve(`${signal ? `killed by ${signal}` : `exited with code ${code}`}${written ? `; stderr: ${written}` : ''}`);
    }),
  );
  return { clearStderr: () => void (stderr = ''), exited };
}
