/**
 * Loaded into `node-red-dev validate` (node --require): the Flow Library's catalogue cannot be reached from
 * where this project is built, so its requests are answered with an empty catalogue, and the checks that
 * need it (P08 similar names, N01 unique node types) are reported as not checked by scripts/validate.ts.
 */
import Module from 'node:module';

const CATALOGUE_HOST = 'catalogue.nodered.org';

interface Axios {
  get: (url: string, ...rest: unknown[]) => Promise<unknown>;
}

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
const moduleWithLoad = Module as unknown as { _load: Load };
const load = moduleWithLoad._load;
const patched = new WeakSet();

moduleWithLoad._load = function (request, parent, isMain) {
  const loaded = load.call(this, request, parent, isMain);
  if (request === 'axios' && typeof loaded === 'function' && !patched.has(loaded)) {
    const axios = loaded as unknown as Axios;
    const get = axios.get.bind(axios);
    axios.get = (url, ...rest) =>
      new URL(url).hostname === CATALOGUE_HOST
        ? Promise.resolve({ data: { modules: [] } })
        : get(url, ...rest);
    patched.add(loaded);
  }
  return loaded;
};
