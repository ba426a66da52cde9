import { appealNight, type ScenarioOptions } from '../../../core/scenario/appeal-night.js';
import { SeededRandom } from '../../sandbox-kit/seeded-ids.js';
import { sandboxSupporterEmail } from '../../sandbox-kit/donations.js';
import { TICKET_TYPES, type Helpdesk } from './helpdesk.js';

const DAY = 86_400_000;

export interface FreshdeskSeed {
  /** The appeal whose supporters write in: tickets name its donations (cf_donation_id) and supporters (requester email). */
  scenario?: ScenarioOptions;
  /** Extra tickets with no scenario behind them (volume), each with its own requester. */
  tickets?: number;
  /** When the extra tickets were last updated: evenly over [from, to). Default the last 14 days. */
  range?: { from: Date; to: Date };
  seed?: number;
}

/**
 * Fill the account: a contact per supporter who writes in (the same `<supporter>@example.org` address the
 * other sandboxes give them, so the email hashes join), tickets about their donations of the types care
 * sees around money, some with the donation id filled in, some naming only the payment in the text.
 */
export function seedHelpdesk(h: Helpdesk, seed: FreshdeskSeed): void {
  const rand = new SeededRandom(seed.seed ?? seed.scenario?.seed ?? 11);
  const now = h.now();
  if (seed.scenario) {
    const s = appealNight(seed.scenario);
    const contacts = new Map<string, number>();
    for (const d of s.donations) {
      const at = Date.parse(d.occurred_at);
      if (at > now || !rand.chance(0.1)) continue;
      let requester = contacts.get(d.supporter_id);
      if (requester === undefined) {
        requester = h.addContact({ name: `Sam Supporter ${contacts.size + 1}`, email: sandboxSupporterEmail(d.supporter_id), phone: '+44 20 7946 0000' }, at).id;
        contacts.set(d.supporter_id, requester);
      }
      const type = rand.pick(TICKET_TYPES);
      const withField = rand.chance(0.7);
      h.addTicket({
        requester_id: requester, type, priority: rand.int(1, 3),
        subject: `${type} for my gift, Sam Supporter ${contacts.size}`,
        description: withField ? 'Please can you help with my donation?' : `About my donation ${d.donation_id}, thank you`,
        custom_fields: withField ? { cf_donation_id: d.donation_id } : {},
      }, Math.min(now, at + rand.int(1, 48) * 3_600_000));
    }
  }
  const n = seed.tickets ?? 0;
  if (n > 0) {
    const from = seed.range?.from.getTime() ?? now - 14 * DAY;
    const to = seed.range?.to.getTime() ?? now;
    const requester = h.addContact({ name: 'Volume Requester', email: 'volume@example.org' }, from).id;
    for (let i = 0; i < n; i++) {
      const at = from + Math.floor((i * (to - from)) / n);
      h.addTicket({ requester_id: requester, subject: `Question ${i + 1}`, description: 'A question about a gift', type: rand.pick(TICKET_TYPES), priority: 1 }, at);
    }
  }
}
