import { aws } from './commands/aws.js';
import { compact } from './commands/compact.js';
import { demo } from './commands/demo.js';
import { exportView } from './commands/export.js';
import { importCommand } from './commands/import.js';
import { land } from './commands/land.js';
import { query } from './commands/query.js';
import { replay } from './commands/replay.js';
import { report } from './commands/report.js';
import { start } from './commands/start.js';
import { status } from './commands/status.js';
import { sync } from './commands/sync.js';
import { ConfigError } from '../../core/errors.js';
import { runCommand, type Command } from './command.js';

const COMMANDS: Command[] = [start, land, sync, importCommand, status, query, report, exportView, compact, replay, demo, aws];

function usage(): string {
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`);
  return `puddle: a connector and integration hub for charity donation data\n\nUsage: puddle <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'puddle <command> --help' for a command's options.\nEnvironment: PUDDLE_HOME (default ./.puddle), PORT (default 8787), PUDDLE_API_KEYS (comma separated).\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`puddle: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await runCommand(cmd, rest);
  } catch (err) {
    // A wrong setting is the user's to fix: one line naming it, not a stack trace.
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`puddle ${cmd.name}: ${err.message}\n`);
    return 2;
  }
}
