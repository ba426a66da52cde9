import { seededRandom } from '../../../core/scenario/random.js';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Seeded randomness and Stripe-looking ids (`ch_` + 24 characters), so one seed gives one sandbox. */
export class SandboxRandom {
  readonly next: () => number;

  constructor(seed: number) {
    this.next = seededRandom(seed);
  }

  id(prefix: string, length = 24): string {
    let s = prefix;
    for (let i = 0; i < length; i++) s += ALPHABET[Math.floor(this.next() * 62)];
    return s;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

/** A seed for a ready-made scenario, from its campaign name. */
export function seedFromText(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
