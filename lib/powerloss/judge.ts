import { textState, type FileState } from '../writes/document.js';
import type { CrashState } from './model.js';

/** What a crash state means for one save of `oldData` → `newData` to `target`. */
export interface JudgedState {
  state: CrashState;
  /** What the target holds in it. */
  target: FileState;
  /** The save had returned before the cut: the new document must be there. */
  acknowledged: boolean;
  /** Why the state is bad, if it is: a torn, empty or missing target, or an acknowledged save lost. */
  bad?: 'torn' | 'empty' | 'missing' | 'acknowledged save lost';
}

/**
 * The default check: the target parses and is the old or the new document; once the save had
 * returned (the cut came after its last operation), it is the new one.
 */
export function judgeStates(states: readonly CrashState[], total: number, target: string, oldData: string, newData: string): JudgedState[] {
  return states.map((state) => {
    const content = state.files.get(target);
    const found = textState(content?.toString('utf8'), oldData, newData);
    const acknowledged = state.after === total;
    const bad = found === 'torn' || found === 'empty' || found === 'missing' ? found : acknowledged && found !== 'new' ? 'acknowledged save lost' : undefined;
    return { state, target: found, acknowledged, ...(bad ? { bad } : {}) };
  });
}
