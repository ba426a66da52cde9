// An ObjectStore as a process sees it that dies during one of its PUTs (a Lambda timeout or crash between two
// writes): while armed, the next PUT of a key under `prefix` throws and writes nothing; every other call goes
// through to the real store.
import type { ObjectStore } from '../../core/ports.js';

export function failNextPut(store: ObjectStore, prefix: string): ObjectStore & { armed: boolean } {
  const wrapped: ObjectStore & { armed: boolean } = {
    armed: true,
    async put(key, body) {
      if (wrapped.armed && key.startsWith(prefix)) {
        wrapped.armed = false;
        throw new Error(`crash: the process died before its PUT of ${key}`);
      }
      return store.put(key, body);
    },
    putIfAbsent: (key, body) => store.putIfAbsent(key, body),
    get: (key) => store.get(key),
    list: (p) => store.list(p),
    delete: (key) => store.delete(key),
  };
  return wrapped;
}
