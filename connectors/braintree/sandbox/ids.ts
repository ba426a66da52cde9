import { SeededRandom } from '../../sandbox-kit/seeded-ids.js';

const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export { seedFromText } from '../../sandbox-kit/seeded-ids.js';

/** Braintree-looking ids (8 lowercase characters, upper-case codes) from the gateway's one seeded stream. */
export class SandboxRandom extends SeededRandom {
  id(length = 8, alphabet = LOWER_ALNUM): string {
    return this.chars(length, alphabet);
  }

  code(length: number): string {
    return this.chars(length, UPPER_ALNUM);
  }
}
