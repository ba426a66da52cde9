// Scheduled compaction: merge each partition's small files (one per consumer batch) into one, then
// delete the files compaction retired once no query can still be reading them. First, on the Glue catalog, it
// rewrites every symlink manifest left behind its catalog item by a process that died between the two writes
// (GlueCatalog.repairManifests): otherwise Athena would keep reading the old list of a `dt` nothing changes again.
import type { LakeFileError } from '../../../core/errors.js';
import { log } from '../../../core/log.js';
import { envSettings } from '../../../core/settings.js';
import { collectGarbage, compactAll } from '../../../puddles/compact.js';
import { defaultRuntime, sweepingTempFolders, type RuntimeSource } from './runtime-source.js';

export interface CompactionSettings {
  /** Partitions with fewer files are left alone (PUDDLE_COMPACT_MIN_FILES, default 20). */
  minFiles: number;
  /**
   * Retired files older than this are deleted (PUDDLE_GC_AFTER_MINUTES, default 60): longer than an Athena
   * query runs (30 minutes by default), so a query never loses a file it listed.
   */
  garbageAfterMs: number;
}

export function compactionSettings(env: NodeJS.ProcessEnv = process.env): CompactionSettings {
  // Read as every number setting is (core/settings.ts): a wrong one is named, a line each. A partition needs two
  // files to merge: 0 and 1 were taken as 2 without a word; `puddle compact --min-files` refuses them too.
  const settings = envSettings(env);
  const minFiles = settings.number('PUDDLE_COMPACT_MIN_FILES', 20, { min: 2, whole: true });
  const garbageAfterMinutes = settings.number('PUDDLE_GC_AFTER_MINUTES', 60, { min: 0, whole: true, unit: 'minutes' });
  settings.check();
  return { minFiles, garbageAfterMs: garbageAfterMinutes * 60_000 };
}

export function makeCompactionHandler(runtime: RuntimeSource, settings: () => CompactionSettings = compactionSettings) {
  return async (): Promise<{ manifestsRepaired: number; partitions: number; filesMerged: number; foldedContracts: number; deleted: number }> => {
    const rt = await runtime();
    const { minFiles, garbageAfterMs } = settings();
    // Before anything else, so this run's own work starts from manifests that match the catalog.
    const manifestsRepaired = (await rt.catalog.repairManifests?.()) ?? 0;
    if (manifestsRepaired) log.warn('stale manifests repaired', { manifestsRepaired });
    // Before any fold: a fold moving a state into a new contract version's table would leave a stale view reading
    // the emptied old one. When the views cannot be made current, the run fails here (ViewsNotCurrentError says
    // what to grant or fix) and folds nothing; puddle-function-errors-compaction fires after two such runs.
    const views = await rt.viewsCurrent?.();
    if (views?.created.length) log.info('views re-created: this deploy changed them', { views: views.created.length });
    const { compacted, folded, unreadable } = await compactAll({ store: rt.store, catalog: rt.catalog, minFiles });
    // The rest was maintained; each damaged file's partition or contract waits for a replay or a restore.
    for (const e of unreadable) log.error('compaction left a partition or contract as it was: a lake file cannot be read', { file: e.key, error: e.message });
    const deleted = await collectGarbage({ store: rt.store, catalog: rt.catalog, olderThanMs: garbageAfterMs });
    const merged = compacted.filter((r) => r.inputs > 0);
    const summary = { manifestsRepaired, partitions: merged.length, filesMerged: merged.reduce((n, r) => n + r.inputs, 0), foldedContracts: folded.filter((f) => f.folded > 0).length, deleted };
    log.info('compaction finished', summary);
    // Then the run fails, so puddle-function-errors-compaction fires (two failed runs in 30 minutes): until
    // 2026-12-02 a damaged file was only logged, the run succeeded, and nothing told an operator. Failing reuses
    // the alarm every deploy already has, rather than a metric and an alarm of its own; the rest was maintained
    // above, so nothing waits on it. No loop: the schedule does not retry (retryAttempts 0), Lambda retries an
    // async run at most twice, and each retry finds only the damaged partition left, until a replay or a restore.
    if (unreadable.length) throw unreadableFiles(unreadable);
    return summary;
  };
}

/** The run's error for the files compaction could not read: a line each, with its key and what to do. */
function unreadableFiles(unreadable: readonly LakeFileError[]): Error {
  const lines = unreadable.map((e) => e.message).join('\n');
  return new Error(`compaction maintained the rest of the lake, but left ${unreadable.length} lake file(s) it cannot read:\n${lines}`, { cause: unreadable });
}

export const handler = makeCompactionHandler(sweepingTempFolders(defaultRuntime));
