import { SeededRandom } from '../../sandbox-kit/seeded-ids.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export { seedFromText } from '../../sandbox-kit/seeded-ids.js';

/** Stripe-looking ids (`ch_` + 24 characters) from the sandbox's one seeded stream. */
export class SandboxRandom extends SeededRandom {
  id(prefix: string, length = 24): string {
    return prefix + this.chars(length, ALPHABET);
  }
}
