import type { Ledger } from './ledger.js';
import type { SandboxDisbursement, SandboxDispute, SandboxTransaction } from './types.js';
import { array, date, datetime, type XmlObject } from './xml.js';

const NIL_ADDRESS: XmlObject = {
  id: null,
  first_name: null,
  last_name: null,
  company: null,
  street_address: null,
  extended_address: null,
  locality: null,
  region: null,
  postal_code: null,
  country_name: null,
  country_code_alpha2: null,
  country_code_alpha3: null,
  country_code_numeric: null,
};

const CARD_LOGOS: Record<string, string> = { Visa: 'visa', MasterCard: 'mastercard', 'American Express': 'american_express' };

/** A transaction shaped like the recorded `<transaction>` in test/fixtures/braintree (plus disputes and disbursement). */
export function transactionXml(tx: SandboxTransaction, ledger: Ledger): XmlObject {
  const d = tx.disbursement_details;
  return {
    id: tx.id,
    status: tx.status,
    type: tx.type,
    currency_iso_code: tx.currency_iso_code,
    amount: tx.amount,
    merchant_account_id: tx.merchant_account_id,
    sub_merchant_account_id: null,
    master_merchant_account_id: null,
    order_id: tx.order_id,
    created_at: datetime(tx.created_at),
    updated_at: datetime(tx.updated_at),
    // Personal fields stay nil: the sandbox never holds supporters' personal data.
    customer: { id: tx.customer.id, first_name: tx.customer.first_name, last_name: null, company: null, email: null, website: null, phone: null, fax: null },
    billing: NIL_ADDRESS,
    refund_id: tx.refund_ids[0] ?? null,
    refund_ids: array('item', tx.refund_ids),
    refunded_transaction_id: tx.refunded_transaction_id,
    settlement_batch_id: tx.settlement_batch_id,
    shipping: NIL_ADDRESS,
    custom_fields: tx.custom_fields,
    avs_error_response_code: null,
    avs_postal_code_response_code: 'M',
    avs_street_address_response_code: 'M',
    cvv_response_code: 'M',
    gateway_rejection_reason: null,
    processor_authorization_code: tx.processor_authorization_code,
    processor_response_code: tx.processor_response_code,
    processor_response_text: tx.processor_response_text,
    processor_response_type: tx.status === 'processor_declined' ? 'soft_declined' : 'approved',
    voice_referral_number: null,
    purchase_order_number: null,
    tax_amount: null,
    tax_exempt: false,
    credit_card: {
      token: null,
      bin: tx.card_type === 'American Express' ? '378282' : tx.card_type === 'MasterCard' ? '555555' : '411111',
      last_4: tx.card_last_4,
      card_type: tx.card_type,
      expiration_month: '12',
      expiration_year: '2030',
      customer_location: 'International',
      cardholder_name: null,
      image_url: `https://assets.braintreegateway.com/payment_method_logo/${CARD_LOGOS[tx.card_type] ?? 'unknown'}.png?environment=sandbox`,
      prepaid: 'Unknown',
      healthcare: 'Unknown',
      debit: 'Unknown',
      durbin_regulated: 'Unknown',
      commercial: 'Unknown',
      payroll: 'Unknown',
      issuing_bank: 'Unknown',
      country_of_issuance: 'Unknown',
      venmo_sdk: false,
    },
    status_history: array(
      'status_event',
      tx.status_history.map((e) => ({
        timestamp: datetime(e.timestamp),
        status: e.status,
        amount: e.amount,
        user: e.user,
        transaction_source: e.transaction_source,
      })),
    ),
    plan_id: null,
    subscription_id: tx.subscription_id,
    subscription: { billing_period_end_date: null, billing_period_start_date: null },
    add_ons: array('add_on', []),
    discounts: array('discount', []),
    descriptor: { name: null, phone: null, url: null },
    recurring: tx.subscription_id !== null,
    channel: null,
    service_fee_amount: null,
    escrow_status: null,
    payment_instrument_type: 'credit_card',
    processed_with_network_token: false,
    disbursement_details: {
      disbursement_date: date(d?.disbursement_date ?? null),
      settlement_amount: d?.settlement_amount ?? null,
      settlement_currency_iso_code: d?.settlement_currency_iso_code ?? null,
      settlement_currency_exchange_rate: d?.settlement_currency_exchange_rate ?? null,
      funds_held: d ? d.funds_held : null,
      success: d ? d.success : null,
    },
    disputes: array(
      'dispute',
      tx.dispute_ids.map((id) => disputeXml(ledger.disputesById.get(id)!)),
    ),
  };
}

/** The fields the SDK's Dispute reads, with the status history that dispute searches filter on. */
export function disputeXml(d: SandboxDispute): XmlObject {
  return {
    id: d.id,
    amount: d.amount,
    amount_disputed: d.amount_disputed,
    amount_won: d.amount_won,
    case_number: d.case_number,
    chargeback_protection_level: null,
    created_at: datetime(d.created_at),
    currency_iso_code: d.currency_iso_code,
    date_opened: date(d.date_opened),
    date_won: date(null),
    kind: d.kind,
    merchant_account_id: d.merchant_account_id,
    original_dispute_id: null,
    reason: d.reason,
    reason_code: d.reason_code,
    reason_description: 'No Cardholder Authorization',
    received_date: date(d.received_date),
    reference_number: d.reference_number,
    reply_by_date: date(d.reply_by_date),
    status: d.status,
    updated_at: datetime(d.updated_at),
    evidence: array('evidence', []),
    status_history: array(
      'status_history',
      d.status_history.map((e) => ({
        disbursement_date: date(e.disbursement_date),
        effective_date: date(e.effective_date),
        status: e.status,
        timestamp: datetime(e.timestamp),
      })),
    ),
    transaction: {
      id: d.transaction.id,
      amount: d.transaction.amount,
      created_at: datetime(d.transaction.created_at),
      order_id: d.transaction.order_id,
      purchase_order_number: null,
      payment_instrument_subtype: null,
    },
  };
}

/** Shaped like webhook_testing_gateway.js's `<disbursement>` subject. */
export function disbursementXml(d: SandboxDisbursement): XmlObject {
  return {
    id: d.id,
    transaction_ids: array('item', d.transaction_ids),
    success: d.success,
    retry: false,
    merchant_account: { id: d.merchant_account_id, currency_iso_code: d.currency_iso_code, sub_merchant_account: false, status: 'active' },
    amount: d.amount,
    disbursement_date: date(d.disbursement_date),
    disbursement_type: d.disbursement_type,
    exception_message: null,
    follow_up_action: null,
  };
}
