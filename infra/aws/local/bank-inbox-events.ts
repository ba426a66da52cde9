// EventBridge's part for the bank inbox in `puddle aws local`. The stack's rule turns an S3 "Object Created"
// under inbox/bank/ into an invocation of the bank-import function; fauxqs sends no S3 events, so the inbox is
// listed every few seconds instead and each file in it is handed to the handler as that event. The handler
// moves what it took to done/ or failed/, so a file is seen once. A file whose invocation failed (the queue
// refusing the publish) stays and is offered again, three invocations in all as Lambda tries an asynchronous
// event, then left in the inbox with a log line: put it there again to retry.
import { randomUUID } from 'node:crypto';

import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { EventBridgeEvent } from 'aws-lambda';

import { errorReason } from '../../../core/error-reason.js';
import { log } from '../../../core/log.js';
import { BANK_INBOX, isInboxFile } from '../handlers/bank-import.js';

type ObjectCreated = EventBridgeEvent<'Object Created', { bucket: { name: string }; object: { key: string } }>;

/** Lambda's asynchronous invocation: the first try and two retries. */
const TRIES = 3;

export interface BankInboxEvents {
  /** One look at the inbox: every new file handed to the handler, one at a time (what the timer runs). */
  poll(): Promise<void>;
  stop(): Promise<void>;
}

export function watchBankInbox(opts: {
  s3: S3Client;
  bucket: string;
  region: string;
  everyMs: number;
  invoke: (event: ObjectCreated) => Promise<unknown>;
}): BankInboxEvents {
  // Tries per file version (key and ETag): a file put again under the same name is a new event.
  const tries = new Map<string, number>();
  let busy: Promise<void> | undefined;

  async function look(): Promise<void> {
    let token: string | undefined;
    do {
      const page = await opts.s3.send(new ListObjectsV2Command({ Bucket: opts.bucket, Prefix: BANK_INBOX, Delimiter: '/', ContinuationToken: token }));
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? '';
        if (!isInboxFile(key)) continue;
        const version = `${key} ${object.ETag ?? ''}`;
        const n = tries.get(version) ?? 0;
        if (n >= TRIES) continue;
        tries.set(version, n + 1);
        try {
          await opts.invoke(objectCreated(opts.bucket, key, opts.region));
        } catch (err) {
          // The file's name (the operator's) and the error's kind: its message could quote a statement's line.
          const left = n + 1 >= TRIES;
          log.error(left ? 'bank import failed 3 times: the file stays in the inbox; put it there again to retry' : 'bank import failed: tried again at the next look', {
            file: key.slice(BANK_INBOX.length),
            attempt: n + 1,
            error: errorReason(err),
          });
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /** Never two looks at once: a slow import is not handed the same file twice. */
  const poll = (): Promise<void> => {
    busy ??= look()
      .catch((err: unknown) => log.error('bank inbox: listing the bucket failed', { error: err }))
      .finally(() => (busy = undefined));
    return busy;
  };

  const timer = setInterval(() => void poll(), opts.everyMs);
  timer.unref();
  return {
    poll,
    async stop() {
      clearInterval(timer);
      await busy;
    },
  };
}

function objectCreated(bucket: string, key: string, region: string): ObjectCreated {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '000000000000',
    time: new Date().toISOString(),
    region,
    resources: [`arn:aws:s3:::${bucket}`],
    detail: { bucket: { name: bucket }, object: { key } },
  };
}
