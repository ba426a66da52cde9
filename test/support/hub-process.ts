import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/puddle.mjs', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** How long a hub process may take to listen before the test gives up on it. */
export const HUB_START_MS = 150_000;

export interface HubProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/**
 * Start `puddle start --no-schedule` (or with its schedule, `schedule: true`) as a child process (`nodeArgs`
 * go to its node, unless `asExecutable`) and wait until it listens.
 */
export async function startHubProcess(
  env: Record<string, string>,
  opts: { nodeArgs?: string[]; schedule?: boolean; asExecutable?: boolean; viaNpm?: boolean; ownGroup?: boolean } = {},
): Promise<HubProcess> {
  const args = ['start', ...(opts.schedule ? [] : ['--no-schedule'])];
  // asExecutable: bin/puddle.mjs run as a program (its shebang), as `npx puddle` and an installed `puddle` run it.
  // viaNpm: `npm start`, the README's way, its arguments after `--`.
  const [command, argv] = opts.viaNpm
    ? ['npm', ['start', '--', ...args.slice(1)]]
    : opts.asExecutable
      ? [BIN, args]
      : [process.execPath, [...(opts.nodeArgs ?? []), BIN, ...args]];
  const child = spawn(command, argv, {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', PUDDLE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // ownGroup: the command leads a process group of its own, which a test signals whole (`process.kill(-pid)`), as
    // a terminal's Ctrl-C and a service manager's stop do.
    ...(opts.ownGroup ? { detached: true } : {}),
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const url = await new Promise<string>((resolve, reject) => {
    // Generous: a hub starting on a loaded two-core machine (CI shares one) took more than 30 s; a hub that
    // cannot start says so at once (exited, below), so this only bounds one that hangs.
    const timer = setTimeout(() => reject(new Error(`hub did not start within ${HUB_START_MS / 1000} s:\n${out}`)), HUB_START_MS);
    const onData = () => {
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`hub exited (${code}) before listening:\n${out}`)));
  });
  return { url, child, output: () => out, exited };
}

/** A producer's event: a £5 SMS donation with this id (what the hub tests post). */
export const smsDonation = (id: string) => ({
  contract: 'donation',
  version: 1,
  payload: { donation_id: id, occurred_at: '2026-11-29T20:15:00Z', channel: 'sms', amount_minor: 500, currency: 'GBP' },
});

export async function postEvents(url: string, key: string, events: unknown[]): Promise<Response> {
  return fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events }),
  });
}
