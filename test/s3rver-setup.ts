// vitest globalSetup: one s3rver for the whole run, on a free port, with its data in a temp folder.
//
// s3rver signs ListObjectsV2 continuation tokens with DES, which Node 20's OpenSSL 3 only offers with the
// legacy provider, and that provider can only be switched on when a process starts. So s3rver runs in a child
// `node --openssl-legacy-provider` process: tests pass whether or not NODE_OPTIONS carries the flag.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    s3Endpoint: string;
    s3Bucket: string;
  }
}

export const S3_TEST_BUCKET = 'puddle-test';

// Runs in the child (CommonJS, `node -e`). Prints the bound address as one JSON line, and exits when
// its stdin closes, so a crashed vitest cannot leave an orphan server behind.
const childScript = `
const S3rver = require(process.env.S3RVER_PATH);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: process.env.S3RVER_DIR,
  configureBuckets: [{ name: process.env.S3RVER_BUCKET, configs: [] }],
});
server.run().then(
  (addr) => process.stdout.write(JSON.stringify({ port: addr.port }) + '\\n'),
  (err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); },
);
process.stdin.on('end', () => server.close().finally(() => process.exit(0)));
process.stdin.resume();
`;

export default async function setup({ provide }: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'puddle-s3rver-'));
  const require = createRequire(import.meta.url);
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', childScript], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      ...process.env,
      // The child is started with the flag itself; an inherited duplicate is harmless but keep it clean.
      NODE_OPTIONS: '',
      S3RVER_PATH: require.resolve('s3rver'),
      S3RVER_DIR: dir,
      S3RVER_BUCKET: S3_TEST_BUCKET,
    },
  });

  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      lines.close();
      try {
        resolve((JSON.parse(line) as { port: number }).port);
      } catch (err) {
        reject(new Error(`s3rver printed an unexpected line: ${line}`, { cause: err }));
      }
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited early (code ${code}): ${stderr}`)));
    child.once('error', reject);
  });

  provide('s3Endpoint', `http://127.0.0.1:${port}`);
  provide('s3Bucket', S3_TEST_BUCKET);

  return async () => {
    child.stdin.end();
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
}
