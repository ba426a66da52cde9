import { ConfigError, LakeFileError } from '../../core/errors.js';
import { applyLogSettings } from '../../core/log-settings.js';
import { envSettings } from '../../core/settings.js';
import { runCommand, writeCommandError, type Command } from './command.js';

// Each command is imported only when it runs: together they pull in every provider SDK, fastify and DuckDB,
// which took a second of module loading before `puddle query "select 1"` could start (issue 14 asks <= 300 ms).
const COMMANDS: Record<string, () => Promise<Command>> = {
  start: async () => (await import('./commands/start.js')).start,
  land: async () => (await import('./commands/land.js')).land,
  sync: async () => (await import('./commands/sync.js')).sync,
  sandbox: async () => (await import('./commands/sandbox.js')).sandbox,
  import: async () => (await import('./commands/import.js')).importCommand,
  status: async () => (await import('./commands/status.js')).status,
  query: async () => (await import('./commands/query.js')).query,
  report: async () => (await import('./commands/report.js')).report,
  export: async () => (await import('./commands/export.js')).exportView,
  compact: async () => (await import('./commands/compact.js')).compact,
  backup: async () => (await import('./commands/backup.js')).backup,
  restore: async () => (await import('./commands/restore.js')).restore,
  replay: async () => (await import('./commands/replay.js')).replay,
  catalog: async () => (await import('./commands/catalog.js')).catalog,
  'dead-letters': async () => (await import('./commands/dead-letters.js')).deadLetters,
  quarantine: async () => (await import('./commands/quarantine.js')).quarantine,
  demo: async () => (await import('./commands/demo.js')).demo,
  aws: async () => (await import('./commands/aws.js')).aws,
  cost: async () => (await import('./commands/cost.js')).cost,
  erase: async () => (await import('./commands/erase.js')).erase,
  'subject-access': async () => (await import('./commands/subject-access.js')).subjectAccess,
};

/** The command list with summaries: loads every command, which only help and mistakes need. */
async function usage(): Promise<string> {
  const commands = await Promise.all(Object.values(COMMANDS).map((load) => load()));
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `puddle: a connector and integration hub for charity donation data\n\nUsage: puddle <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'puddle <command> --help' for a command's options.\nEnvironment: PUDDLE_HOME (default ./.puddle), PORT (default 8787), PUDDLE_API_KEYS (comma separated).\n`;
}

/**
 * A reader that closed our stdout (`puddle query ... | head -1`) makes the next write fail with EPIPE, which,
 * unhandled, is a stack trace. Like cat and git, say nothing: the stream is destroyed, so later writes are
 * dropped, and the command still finishes its work (`start` and `sync` must not lose what they have queued).
 */
let quietStdout = false;
function quietOnClosedStdout(): void {
  // Once per process: tests call main() many times.
  if (quietStdout) return;
  quietStdout = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

export async function main(argv: string[]): Promise<number> {
  quietOnClosedStdout();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(await usage());
    return name ? 0 : 2;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    process.stderr.write(`puddle: unknown command '${name}'\n\n${await usage()}`);
    return 2;
  }
  // `query` answers from a DuckDB, which takes DuckDB about 40 ms to create on a thread of its own: begun here, it is
  // made while the command's modules load (about 100 ms) instead of after (docs/benchmarks.md, "Start-up").
  // Only a head start: should it fail (a temporary folder it cannot make), the engine meets the same and says so.
  if (name === 'query' && !rest.some((a) => a === '--help' || a === '-h')) {
    try {
      const { prestartDuckDb, QUERY_THREADS } = await import('../../puddles/duckdb.js');
      prestartDuckDb(QUERY_THREADS, 'query');
    } catch {
      // said by the engine when it opens
    }
  }
  const cmd = await load();
  try {
    // Every command logs: a PUDDLE_LOG_LEVEL that is no level stops it here, as any wrong setting does.
    const settings = envSettings(process.env);
    applyLogSettings(settings, process.stderr.isTTY ? 'text' : 'json');
    settings.check();
    return await runCommand(cmd, rest);
  } catch (err) {
    // A lake file damaged or gone (replay over a raw file cut short, a report, an export): the one line that
    // names it by its lake key and says what to do, as `puddle query` prints it, not a stack trace.
    if (err instanceof LakeFileError) {
      writeCommandError(cmd.name, err.message);
      return 1;
    }
    // The home's disk full or read-only: one line saying so and what to do, for every command (until 2026-12-06
    // `start`, `status`, `land` and `backup` gave a stack trace; a user test).
    if (!(err instanceof ConfigError)) {
      const disk = await diskMessage(err);
      if (!disk) throw err;
      writeCommandError(cmd.name, disk);
      return 1;
    }
    // A wrong setting is the user's to fix: a line naming each, not a stack trace.
    writeCommandError(cmd.name, err.message);
    return 2;
  }
}

/** homeDiskMessage for the home the settings name, or null (no home set up, or an error of another kind). */
async function diskMessage(err: unknown): Promise<string | null> {
  const [{ homeDiskMessage }, { loadConfig }] = await Promise.all([import('../local/home-disk.js'), import('../../core/config.js')]);
  try {
    return homeDiskMessage(err, loadConfig().home);
  } catch {
    return null;
  }
}
