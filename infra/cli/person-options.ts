// The options that name one person, for `puddle erase` and `puddle subject-access`: the same values find the same
// rows in both (puddles/erasure-match.ts), so what a subject access discloses is what an erasure rewrites.
import type { ErasureRequest } from '../../puddles/erasure-match.js';
import { listOption } from './options.js';

export const PERSON_OPTIONS = {
  'supporter-id': { type: 'string', multiple: true, description: "an id the person has in any source (the producer's supporter_id, a CRM contact id, a Stripe customer id); repeatable" },
  email: { type: 'string', multiple: true, description: 'their email address: its SHA-256 is found wherever it is, and the address wherever it was typed as text; repeatable' },
  text: { type: 'string', multiple: true, description: 'free text that names them (a name typed in a remittance line or a cta), matched as whole words, any case; repeatable' },
  'force-text': { type: 'boolean', description: "take a --text that is also one of the lake's values (a currency code, a status, a contract or provider name), which every row holding it matches" },
} as const;

/** The person the options name (erasureNeedles refuses a request that names no one, by option, never a value). */
export function personRequest(values: Record<string, string | boolean | undefined>): ErasureRequest {
  return { supporterIds: listOption(values, 'supporter-id'), emails: listOption(values, 'email'), texts: listOption(values, 'text'), forceText: Boolean(values['force-text']) };
}
