// The deployed functions' Catalog and QueryEngine (Glue + DynamoDB + manifests, Athena) and their ops events
// (EventBridge), made from the names the stack sets. Kept out of runtime.ts so the runtime stays free of the
// Glue and Athena adapters, and `puddle aws local` and the tests can hand in the embedded ones instead.
import { ConfigError } from '../../core/errors.js';
import { AthenaQueryEngine } from './athena-query-engine.js';
import { ensureViewsCurrent } from './athena-views-current.js';
import { EventBridgeOpsEvents } from './eventbridge-events.js';
import { GlueCatalog } from './glue-catalog.js';
import { requiredEnv, type CatalogFactory, type EventsFactory } from './runtime.js';
import { S3ObjectStore } from './s3-object-store.js';
import { ENV } from './shape.js';

export interface GlueAthenaSettings {
  /** The live file list (PUDDLE_CATALOG_TABLE). */
  catalogTable: string;
  /** PUDDLE_GLUE_DATABASE. */
  glueDatabase: string;
  /** PUDDLE_ATHENA_WORKGROUP: the one with the scan cutoff. */
  athenaWorkgroup: string;
}

/** Read at once, so a function deployed without them fails at its first invocation with the name that is missing. */
export function readGlueAthenaEnv(env: NodeJS.ProcessEnv = process.env): GlueAthenaSettings {
  return {
    catalogTable: requiredEnv(env, ENV.catalogTable),
    glueDatabase: requiredEnv(env, ENV.glueDatabase),
    athenaWorkgroup: requiredEnv(env, ENV.athenaWorkgroup),
  };
}

export function glueAthenaCatalog(settings: GlueAthenaSettings): CatalogFactory {
  return ({ env, clients }) => {
    // Manifests name `s3://<bucket>/<catalog key>`: with a lake folder inside the bucket they would point beside
    // the files. The stack sets no folder; refuse one rather than let Athena read nothing.
    if (env.lakePrefix) throw new ConfigError(`${ENV.lakePrefix} must be empty with the Glue catalog (manifests name bucket-root keys)`);
    const catalog = new GlueCatalog({
      dynamo: clients.dynamodb,
      tableName: settings.catalogTable,
      glue: clients.glue,
      glueDatabase: settings.glueDatabase,
      manifests: { store: new S3ObjectStore({ client: clients.s3, bucket: env.bucket }), bucket: env.bucket },
    });
    const query = new AthenaQueryEngine({ client: clients.athena, workgroup: settings.athenaWorkgroup, database: settings.glueDatabase });
    return { catalog, query, viewsCurrent: (state) => ensureViewsCurrent({ engine: query, state }) };
  };
}

/** Ops events to the stack's bus (PUDDLE_EVENT_BUS). */
export function eventBridgeEvents(env: NodeJS.ProcessEnv = process.env): EventsFactory {
  const busName = requiredEnv(env, ENV.eventBus);
  return ({ clients }) => new EventBridgeOpsEvents({ client: clients.eventbridge, busName });
}
