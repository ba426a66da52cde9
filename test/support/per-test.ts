import { afterEach, beforeEach } from 'vitest';

/**
 * A fresh `T` for every test of the calling file or `describe` (its hooks registered here), closed after each. The
 * returned object forwards to the current test's; outside a test it throws, naming `name`.
 */
export function perTest<T extends { close(): Promise<void> }>(name: string, make: () => Promise<T>): T {
  let current: T | undefined;
  beforeEach(async () => {
    current = await make();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return new Proxy({} as T, {
    get: (_target, prop) => {
      if (!current) throw new Error(`${name}: it exists only inside a test`);
      return current[prop as keyof T];
    },
  });
}
