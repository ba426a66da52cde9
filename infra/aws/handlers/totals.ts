// GET /v1/totals behind API Gateway: the embedded hub's route (parameters, read-key scope, document), answered
// from the DynamoDB counters the consumers keep (infra/aws/dynamodb-totals.ts), never from Athena. The stream
// (GET /v1/totals/stream) is not served here: Lambda answers whole responses; clients poll this.
import { totalsDocumentRoute } from '../../../puddles/http/totals-routes.js';
import { totalsDocument } from '../../../puddles/live-totals.js';
import type { DynamoDbTotals } from '../dynamodb-totals.js';
import { counterText } from '../dynamodb-totals-counters.js';
import type { AwsRuntime } from '../runtime.js';
import { buildHttpApp, keyRingFrom, runtimeWithFreshSecrets } from './http-app.js';
import { httpHandler, type HttpHandler } from './http-event.js';
import { defaultRuntime, type RuntimeSource } from './runtime-source.js';
import { totalsTable } from './totals-table.js';

export function makeTotalsHandler(runtime: RuntimeSource, opts: { totals?: (rt: AwsRuntime) => DynamoDbTotals } = {}): HttpHandler {
  return httpHandler(async () => {
    const rt = await runtimeWithFreshSecrets(runtime);
    const totals = (opts.totals ?? totalsTable)(rt);
    const keys = keyRingFrom(rt.secrets);
    return buildHttpApp(rt, [
      (app) =>
        totalsDocumentRoute(app, {
          keys,
          // Only the partitions and boxes the query asks for are read; the document is built as the hub builds it.
          // A campaign over 4 KiB is asked for as the counters keep it (counterText).
          document: async (asked) => {
            const q = asked.campaign === undefined ? asked : { ...asked, campaign: counterText(asked.campaign)! };
            const [cells, asOf] = await Promise.all([totals.cells(q), totals.asOf()]);
            return totalsDocument(cells, asOf, q);
          },
        }),
    ]);
  });
}

export const handler = makeTotalsHandler(defaultRuntime);
