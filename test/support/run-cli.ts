import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const BIN = fileURLToPath(new URL('../../bin/puddle.mjs', import.meta.url));
const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run the `puddle` CLI as a user would; resolves with its exit code and output whatever the code. `timeoutMs`:
 * stop it (SIGTERM) if it is still running then, for a command that should have refused to start. `bin`: another
 * copy of the project's bin/puddle.mjs.
 */
export async function runPuddle(args: string[], env: Record<string, string> = {}, opts: { timeoutMs?: number; bin?: string } = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [opts.bin ?? BIN, ...args], { env: { ...process.env, PUDDLE_LOG_LEVEL: 'error', ...env }, timeout: opts.timeoutMs });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
