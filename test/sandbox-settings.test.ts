// The hub's sandboxes as a user meets them: the settings it gives its Salesforce sandbox name fields the sandbox
// org has (with no Gift Aid field the default hub's 700-odd supporters all had gift_aid_declared null, though the
// sandbox fills the field), and a supporter has one address in every sandbox (user test, 2026-12-05).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, expect, it } from 'vitest';

import { emailSha256 } from '../core/pii.js';
import { sandboxSupporterEmail } from '../connectors/sandbox-kit/donations.js';
import { salesforceConfig } from '../connectors/salesforce/config.js';
import { OBJECTS } from '../connectors/salesforce/sandbox/schema.js';
import { sandboxWorld } from '../connectors/sandbox-world.js';
import { SANDBOXES } from '../connectors/sandboxes.js';
import { buildCustomer } from '../connectors/stripe/sandbox/stripe-objects.js';

const home = mkdtempSync(join(tmpdir(), 'puddle-sf-settings-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

it("names the sandbox org's Gift Aid and donation id fields, which its records fill", async () => {
  const entry = SANDBOXES.salesforce!;
  const now = () => new Date();
  const sandbox = await entry.start({ hubUrl: 'http://127.0.0.1:9', presets: entry.presets(), world: sandboxWorld(home, now()), now });
  try {
    const config = salesforceConfig({ get: (k) => sandbox.secrets[k] });
    expect(config.giftAidField).toBe('Gift_Aid_Declared__c');
    expect(OBJECTS.Contact!.fields).toHaveProperty(config.giftAidField!);
    expect(OBJECTS.Opportunity!.fields).toHaveProperty(config.donationIdField!);
  } finally {
    await sandbox.close();
  }
});

it("gives a supporter the address the CRM and help desk sandboxes give them, so Stripe's customer joins them by hash", () => {
  // Salesforce's contacts and Freshdesk's requesters take sandboxSupporterEmail; until 2026-12-05 Stripe's sandbox
  // wrote `<id>@supporters.example.org`, and its 400 customers joined no CRM or ticket row (user test).
  const customer = buildCustomer('cus_Sandbox01', 1_764_000_000, 'sup_Ab12Cd', 'Ada Lovelace');
  expect(emailSha256(customer.email!)).toBe(emailSha256(sandboxSupporterEmail('sup_Ab12Cd')));
});
