// Bank statement files put in the lake bucket under `inbox/bank/` are imported as `puddle import bank` does,
// then moved to `inbox/bank/done/` (imported) or `inbox/bank/failed/` (malformed, refused, or does not add up), each
// with `<name>.log` beside it, as the embedded drop folder does. Triggered by S3 ObjectCreated, delivered as
// an S3 notification or through EventBridge ("Object Created").
import type { EventBridgeEvent, S3Event } from 'aws-lambda';

import { describeImport, importBankFile, parseImportOptions, type ImportOptions } from '../../../connectors/bank/import-file.js';
import { accountsWithoutBalances, configuredReconParams } from '../../../puddles/recon-params.js';
import { ConfigError } from '../../../core/errors.js';
import { log } from '../../../core/log.js';
import { S3ObjectStore } from '../s3-object-store.js';
import { defaultRuntime, type RuntimeSource } from './runtime-source.js';

export const BANK_INBOX = 'inbox/bank/';
const DONE = `${BANK_INBOX}done/`;
const FAILED = `${BANK_INBOX}failed/`;
/** Names a writer uses while uploading, never read (as in the embedded drop folder). */
const IGNORED = /^\.|\.(tmp|part|log)$/;

type ObjectCreated = EventBridgeEvent<'Object Created', { bucket: { name: string }; object: { key: string } }>;

/** Bucket and key of every object the event says was created. S3 notifications URL-encode keys (`+` = space). */
export function createdObjects(event: S3Event | ObjectCreated): { bucket: string; key: string }[] {
  if ('Records' in event) {
    return event.Records.filter((r) => r.eventName.startsWith('ObjectCreated')).map((r) => ({
      bucket: r.s3.bucket.name,
      key: decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')),
    }));
  }
  if (event['detail-type'] === 'Object Created') return [{ bucket: event.detail.bucket.name, key: event.detail.object.key }];
  return [];
}

/** A file to import: directly in the inbox (not in done/ or failed/), not a partial upload. */
export function isInboxFile(key: string): boolean {
  if (!key.startsWith(BANK_INBOX)) return false;
  const name = key.slice(BANK_INBOX.length);
  return name !== '' && !name.includes('/') && !IGNORED.test(name);
}

/**
 * The import options, as `puddle import bank` takes them; all optional (shape.ts OPTIONAL_ENV). With the accounts
 * whose bank sends no booked balances (PUDDLE_RECON_ACCOUNTS_WITHOUT_BALANCES, the recon parameter Athena's
 * recon_breaks reads from the same environment): until 2026-12-03 this function did not read it, and its `.log`
 * said such a camt.053 was refused for a break recon_breaks never opened.
 */
export function bankImportSettings(env: NodeJS.ProcessEnv = process.env): ImportOptions {
  const options = parseImportOptions(
    { layout: env.PUDDLE_BANK_LAYOUT, currency: env.PUDDLE_BANK_CURRENCY, account: env.PUDDLE_BANK_ACCOUNT },
    (option) => `PUDDLE_BANK_${option.toUpperCase()}`,
  );
  return { ...options, accountsWithoutBalances: accountsWithoutBalances(configuredReconParams(env)) };
}

export function makeBankImportHandler(runtime: RuntimeSource) {
  return async (event: S3Event | ObjectCreated): Promise<{ imported: string[]; refused: string[] }> => {
    const rt = await runtime();
    const importOptions = bankImportSettings();
    const out = { imported: [] as string[], refused: [] as string[] };
    for (const { bucket, key } of createdObjects(event)) {
      if (bucket !== rt.env.bucket) throw new ConfigError(`bank import: object in bucket ${bucket}, but this function reads ${rt.env.bucket}`);
      if (!isInboxFile(key)) continue;
      // The inbox is at the bucket's root, whatever folder the lake uses.
      const inbox = new S3ObjectStore({ client: rt.clients.s3, bucket });
      const bytes = await inbox.get(key);
      if (bytes === null) {
        log.info('bank file already moved (event delivered again)', { file: key });
        continue;
      }
      const name = key.slice(BANK_INBOX.length);
      // The lake (Athena) is asked what it holds of the file before anything is published, as `puddle import bank`
      // and the drop folder ask: the same file or its re-saved export in another currency is refused, a statement
      // conflicting with another file's is said, lines imported under earlier ids keep them (imported-before.ts,
      // earlier-ids.ts). Until 2026-12-05 this function did not ask, and such a re-saved CSV landed every line twice.
      // A lake that cannot be read (Athena failing) throws here before anything is published, as a queue that refuses
      // throws: the file stays in the inbox and Lambda tries the event again (the errors alarm says a file waits).
      // Not failed/, which is for files at fault; nor imported without the lake's answer, which could count its lines twice.
      let outcome;
      try {
        outcome = await importBankFile(rt.queue, { name, bytes: Buffer.from(bytes) }, importOptions, rt.query);
      } catch (err) {
        log.error('bank import failed: the file stays in the inbox, and Lambda tries the event again', { file: name, error: err });
        throw err;
      }
      const target = outcome.status === 'imported' ? DONE : FAILED;
      const moved = (await inbox.get(`${target}${name}`)) === null ? name : `${new Date().toISOString().replace(/[:.]/g, '-')}-${name}`;
      await inbox.put(`${target}${moved}.log`, `${new Date().toISOString()} ${outcome.status}\n${describeImport(name, outcome)}`);
      await inbox.put(`${target}${moved}`, bytes);
      await inbox.delete(key);
      (outcome.status === 'imported' ? out.imported : out.refused).push(name);
      // As the embedded drop folder logs it (infra/local/bank-inbox.ts): the statements imported with no balances to
      // check them (a CSV export or BAI2 file without them, unverifiable.ts noBalances) are counted beside the
      // unverified ones, so a log search finds both; the .log beside the file says which and why (describeImport).
      log.info('bank file imported', {
        file: name,
        status: outcome.status,
        entries: outcome.entries,
        lines: outcome.lines,
        unverified_statements: outcome.unverified.length,
        unchecked_statements: outcome.unchecked.length,
        // BAI2 corrections that replace no earlier report (unverifiable.ts correctionBeside): money may count twice.
        corrections_beside: outcome.corrections_beside.length,
      });
    }
    return out;
  };
}

export const handler = makeBankImportHandler(defaultRuntime);
