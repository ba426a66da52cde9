import { parseArgs } from 'node:util';

export interface Option {
  type: 'string' | 'boolean';
  short?: string;
  default?: string | boolean;
  /** A string option that may be given more than once (its value is then a list). */
  multiple?: boolean;
  description: string;
}

/** A CLI command: its help text, its options (node:util parseArgs) and what it does. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, Option>;
  /** An option with `multiple` arrives as a string[] in `values` (read it with listOption, infra/cli/options.ts). */
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[] }): Promise<number>;
}

export function defineCommand(c: Command): Command {
  return c;
}

/** An error for the user, a line per problem (ConfigError names one wrong setting a line), each after the command's name. */
export function writeCommandError(name: string, message: string): void {
  process.stderr.write(message.split('\n').map((line) => `puddle ${name}: ${line}\n`).join(''));
}

export function runCommand(cmd: Command, argv: string[]): Promise<number> {
  // parseArgs does not know `description`: hand it only what it reads.
  const options = Object.fromEntries(
    Object.entries({ ...cmd.options, help: { type: 'boolean', short: 'h', description: '' } as Option }).map(
      ([name, { description: _d, ...o }]) => [name, o],
    ),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`puddle ${cmd.name}: ${(err as Error).message}\n\n${helpText(cmd)}`);
    return Promise.resolve(2);
  }
  if (parsed.values.help) {
    process.stdout.write(helpText(cmd));
    return Promise.resolve(0);
  }
  return cmd.run(parsed as never);
}

export function helpText(cmd: Command): string {
  const opts = Object.entries(cmd.options).map(([name, o]) => {
    const flag = `--${name}${o.type === 'string' ? ' <value>' : ''}`;
    return `  ${flag.padEnd(26)} ${o.description}`;
  });
  return `${cmd.summary}\n\nUsage: ${cmd.usage}\n\nOptions:\n${[...opts, `  ${'--help, -h'.padEnd(26)} show this help`].join('\n')}\n`;
}
