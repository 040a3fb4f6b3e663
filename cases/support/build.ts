import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

/** Compiles lib/, schedules/ and workers/ into dist/ (incrementally), which threads and processes run. */
export default function build(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
