import { seededRandom } from '../../core/scenario/random.js';

/**
 * Seeded randomness, so one seed gives one sandbox. Each provider subclasses it with ids shaped like
 * its own; they all draw from this one stream, so adding a draw anywhere changes every later id.
 */
export class SeededRandom {
  next: () => number;

  constructor(seed: number) {
    this.next = seededRandom(seed);
  }

  /** Continue from another seed: what a restarted host does after seeding, so live ids never repeat an earlier start's. */
  reseed(seed: number): void {
    this.next = seededRandom(seed);
  }

  /** `length` characters drawn from `alphabet`. */
  chars(length: number, alphabet: string): string {
    let s = '';
    for (let i = 0; i < length; i++) s += alphabet[Math.floor(this.next() * alphabet.length)];
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

/** For sandboxes a host restarts over the same seeded history (the hub, on one PUDDLE_HOME). */
export interface LiveSeedOption {
  /**
   * The id stream after seeding. The history is the same for a seed, and so is the stream after it: a host
   * that starts a sandbox again passes a new one each start, so what it adds live never reuses an earlier
   * start's ids with other times and amounts. Without it the stream goes on from the seed's.
   */
  liveSeed?: number;
}

/** A seed for a ready-made scenario, from its campaign name. */
export function seedFromText(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}
