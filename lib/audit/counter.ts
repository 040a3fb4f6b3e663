import { readFile } from 'node:fs/promises';
import { basename, dirname, extname } from 'node:path';
import type { AdapterRef } from '../locks/types.js';
import { loadWriteStrategy } from '../writes/index.js';

/** A counter in a JSON file `{ "count": n }`, read and written the way the writer's users do. */
export interface Counter {
  read(): Promise<number>;
  write(value: number): Promise<void>;
}

interface CountDoc {
  count: number;
}

/**
 * conf and lowdb have read-modify-write APIs of their own (`get`/`set`, `read`/`write`); every
 * other writer reads the file and saves the whole document through its save.
 */
export async function openCounter(writer: string, ref: AdapterRef, path: string): Promise<Counter> {
  if (writer === 'conf') {
    const { default: Conf } = await import('conf');
    const ext = extname(path);
    const conf = new Conf<CountDoc>({ cwd: dirname(path), configName: basename(path, ext), fileExtension: ext.slice(1), projectName: 'contend' });
    return { read: async () => conf.get('count'), write: async (value) => conf.set('count', value) };
  }
  if (writer === 'lowdb') {
    const [{ Low }, { JSONFile }] = await Promise.all([import('lowdb'), import('lowdb/node')]);
    const db = new Low<CountDoc>(new JSONFile(path), { count: 0 });
    return {
      read: async () => {
        await db.read();
        return db.data.count;
      },
      write: async (value) => {
        db.data.count = value;
        await db.write();
      },
    };
  }
  const strategy = await loadWriteStrategy(ref);
  return {
    read: async () => (JSON.parse(await readFile(path, 'utf8')) as CountDoc).count,
    write: async (value) => strategy.save(path, JSON.stringify({ count: value })),
  };
}
