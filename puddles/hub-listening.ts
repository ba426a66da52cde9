// What the hub's listeners read of landed rows (infra/local/hub.ts: the live totals, the supplier feeds and
// webhook freshness), so that the landing threads build and send the hub only that. Every landed row used to
// cross to the hub whole, as an object per row, whether or not anything listened to its contract: building
// and cloning them was about a tenth of a landing thread's time, and reading them back was the hub's.
// A listener that reads another column adds it here; test/puddles/hub-listening.test.ts gives each listener
// projected and whole rows and checks it ends the same.
import type { TableRef } from '../core/ports.js';
import { FEEDS, feedColumns } from './feeds.js';
import type { LandedColumns } from './landed.js';
import { RAW_TABLE } from './layout.js';
import { DONATION_COLUMNS } from './live-totals.js';
import { FRESHNESS_COLUMNS } from './webhook-freshness.js';

const BY_CONTRACT = new Map<string, readonly string[]>();
const add = (contract: string, columns: readonly string[]) => BY_CONTRACT.set(contract, [...new Set([...(BY_CONTRACT.get(contract) ?? []), ...columns])]);
add('donation', DONATION_COLUMNS);
for (const f of FEEDS) add(f.contract, feedColumns(f));

export const hubLandedColumns: LandedColumns = (table: TableRef) =>
  table.puddle === RAW_TABLE.puddle ? FRESHNESS_COLUMNS : (BY_CONTRACT.get(table.contract) ?? null);
