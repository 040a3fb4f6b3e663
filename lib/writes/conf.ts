import { basename, dirname, extname } from 'node:path';
import { importWriter } from './library.js';
import type { WriteStrategy } from './types.js';

/**
 * conf, as an application saves through it: `store = …` on an instance whose file is the target
 * (conf writes with atomically's writeFileSync).
 */
export const ConfStrategy: WriteStrategy = {
  name: 'conf',
  description: 'conf: store = … (atomically writeFileSync underneath)',
  package: 'conf',
  async save(path, data) {
    const { default: Conf } = await importWriter('conf', () => import('conf'));
    const ext = extname(path);
    const conf = new Conf<Record<string, unknown>>({
      cwd: dirname(path),
      configName: basename(path, ext),
      fileExtension: ext.slice(1),
      projectName: 'contend',
    });
    conf.store = JSON.parse(data) as Record<string, unknown>;
  },
};
