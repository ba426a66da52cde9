import { spawn } from 'node:child_process';

/**
 * A provider sandbox in a child process (see fixtures/sandbox-process.ts); close() ends it.
 * `SANDBOX_PROF=<dir>` writes the sandbox's own CPU profile there, to see what the provider side costs.
 */
export async function sandboxProcess<T extends Record<string, unknown>>(provider: 'stripe' | 'braintree' | 'salesforce', records: number, rateLimit: number) {
  const script = new URL('./fixtures/sandbox-process.ts', import.meta.url).pathname;
  const profile = process.env.SANDBOX_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.SANDBOX_PROF}`] : [];
  const args = [...profile, '--import', 'tsx', script, provider, String(records), String(rateLimit)];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.on('exit', (code) => reject(new Error(`${provider} sandbox exited (${code})`)));
  });
  const info = JSON.parse(line) as T & { url: string; records: number };
  return {
    ...info,
    close: () =>
      new Promise<void>((resolve) => {
        child.on('exit', () => resolve());
        child.stdin!.end();
      }),
  };
}
