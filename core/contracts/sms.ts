import { donation } from './catalog.js';
import { extendContract } from './contract.js';
import { string } from './schema.js';

/**
 * donation v2: the mobile network a text-to-donate gift was billed through.
 *
 * Why the network: an SMS aggregator remits by network (each network pays the aggregator on its own schedule, and
 * the aggregator's statement breaks the month down by network), so a month that falls short can only be traced to
 * the network that did not pay when each donation names it. What an SMS integrator sends otherwise fits v1: the
 * aggregator is `payment_provider`, its transaction id `payment_ref`, the keyword `cta`, a billed or failed charge
 * `status` (`paid`, `failed`), and the price point is the donation's `amount_minor` itself (a text-to-donate gift
 * is its tariff), so it has no field of its own that could disagree with the amount.
 *
 * The donor's mobile number has no field, in any version: an event that sends one (`msisdn`, `phone`) is refused
 * naming the field, and `supporter_id` should be the aggregator's token or a hash, never the number.
 */
export const donation_v2 = extendContract(donation, 2, {
  sms_network: string()
    .optional()
    .freeText()
    .doc('Text-to-donate: the mobile network that billed the gift (EE, O2, Vodafone, Three, ...), as the aggregator names it'),
});
