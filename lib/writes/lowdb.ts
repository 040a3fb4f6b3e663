import { importWriter } from './library.js';
import type { WriteStrategy } from './types.js';

/** lowdb's JSONFile adapter, as an application saves through it: set `db.data`, then `db.write()`. */
export const LowdbStrategy: WriteStrategy = {
  name: 'lowdb',
  description: 'lowdb JSONFile: db.data = …; db.write() (steno underneath)',
  package: 'lowdb',
  async save(path, data) {
    const [{ Low }, { JSONFile }] = await importWriter('lowdb', () => Promise.all([import('lowdb'), import('lowdb/node')]));
    const db = new Low<unknown>(new JSONFile(path), null);
    db.data = JSON.parse(data);
    await db.write();
  },
};
