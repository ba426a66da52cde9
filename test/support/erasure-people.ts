// Two supporters' records as a DPO meets them in a home (producer events, CRM contacts with a note in raw, bank lines
// with a name typed in, a quarantined pledge): `puddle erase` and `puddle subject-access` find one and leave the other.
import { makeEnvelope, type Envelope } from '../../core/envelope.js';
import { emailSha256 } from '../../core/pii.js';

// Jo's phone, typed in a CRM note without spaces: the DPO gives it as the person wrote it, `+44 7700 900123`.
export const JO = { id: 'sup_1', crm: '0035g00000JoQxA', email: 'Jo.Quxworthy@Example.org', name: 'Quxworthy', phone: '07700900123' };
// Ids that contain Jo's as a prefix: a whole-id match must leave them alone.
export const SAM = { id: 'sup_10', crm: '0035g00000SamBbB', email: 'sam@example.net' };
export const JO_HASH = emailSha256(JO.email)!;
export const SAM_HASH = emailSha256(SAM.email)!;

export function peopleEnvelopes(): Envelope[] {
  const at = (h: number) => `2026-11-29T${String(h).padStart(2, '0')}:00:00Z`;
  const producer = (contract: string, payload: Record<string, unknown>, h: number, source = 'producer') =>
    makeEnvelope({ contract, version: 1, source, stream: 'web', payload: { occurred_at: at(h), ...payload }, received_at: `${at(h).slice(0, -1)}.500Z`, delivery_id: `req-${h}` });
  const salesforce = (payload: Record<string, unknown>, raw: unknown, h: number) =>
    makeEnvelope({ contract: 'supporter', version: 1, source: 'salesforce', stream: 'contacts', payload: { occurred_at: at(h), source: 'salesforce', ...payload }, raw, received_at: `${at(h).slice(0, -1)}.700Z`, delivery_id: `run-${h}` });
  return [
    producer('donation', { donation_id: 'don_jo_1', channel: 'online', amount_minor: 2500, currency: 'GBP', supporter_id: JO.id, cta: 'xmas-appeal', gift_aid: true }, 10),
    producer('donation', { donation_id: 'don_jo_2', channel: 'online', amount_minor: 1000, currency: 'GBP', supporter_id: JO.id, cta: 'xmas-appeal' }, 11),
    // Sent with a named producer key (PUDDLE_API_KEYS=key:sms-agency): its source names the supplier.
    producer('donation', { donation_id: 'don_sam_1', channel: 'online', amount_minor: 700, currency: 'GBP', supporter_id: SAM.id, cta: 'xmas-appeal' }, 12, 'producer:sms-agency'),
    producer('supporter', { supporter_id: JO.id, source: 'producer', email_sha256: JO_HASH, crm_id: JO.crm }, 10),
    producer('supporter', { supporter_id: SAM.id, source: 'producer', email_sha256: SAM_HASH, crm_id: SAM.crm }, 12),
    salesforce({ supporter_id: JO.crm, email_sha256: JO_HASH, postcode_district: 'SW1A' }, { Id: JO.crm, Email: '[redacted]', npe01__Preferred_Email__c: 'Personal', Notes: `Call ${JO.name} after 6 on ${JO.phone}` }, 13),
    salesforce({ supporter_id: SAM.crm, email_sha256: SAM_HASH, postcode_district: 'EC1A' }, { Id: SAM.crm, Email: '[redacted]' }, 13),
    // A second version of Jo's contact: history keeps both.
    salesforce({ supporter_id: JO.crm, email_sha256: JO_HASH, postcode_district: 'SW1A', updated_at: at(15) }, { Id: JO.crm, Email: '[redacted]' }, 15),
    // Jo's name typed as a bank line's remittance text, Sam's id in another's reference.
    producer('bank_line', { bank_line_id: 'bl_1', account: 'GB00TEST', amount_minor: 2500, currency: 'GBP', reference: `GIFT ${JO.id}`, description: `J ${JO.name.toUpperCase()} DONATION` }, 14),
    producer('bank_line', { bank_line_id: 'bl_2', account: 'GB00TEST', amount_minor: 700, currency: 'GBP', reference: `GIFT ${SAM.id}`, description: 'S SMITH DONATION' }, 14),
    // Refused at landing (a negative pledge): it lands in the quarantine, with Jo's id.
    producer('donation', { donation_id: 'don_jo_bad', channel: 'online', amount_minor: -5, currency: 'GBP', supporter_id: JO.id }, 16),
  ];
}
