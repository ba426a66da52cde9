import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ensureBuilt } from '../../bin/build.mjs';

// `puddle aws ...` against a real account from a shell with no credentials, refused ones, or no region: one
// line saying what to do and exit 1, never the SDK's stack trace (nor a key).
const BIN = fileURLToPath(new URL('../../bin/puddle.mjs', import.meta.url));
const SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/never-printed-0123';

let home: string;
let athena: Server;
let athenaUrl: string;

beforeAll(async () => {
  // Compiled once here, so the commands below (run at once) neither build nor say they did.
  await ensureBuilt({ quiet: true });
  home = mkdtempSync(path.join(tmpdir(), 'puddle-creds-'));
  // Athena's answer to a request signed with keys it does not know (JSON 1.1 protocol, HTTP 400). No emulator
  // speaks Athena, and this is all of it the command reaches.
  athena = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'UnrecognizedClientException' });
      res.end(JSON.stringify({ __type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' }));
    });
  });
  await new Promise<void>((resolve) => athena.listen(0, '127.0.0.1', resolve));
  athenaUrl = `http://127.0.0.1:${(athena.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => athena.close(resolve));
  rmSync(home, { recursive: true, force: true });
});

/** The CLI in a bare environment (as `env -i PATH=$PATH HOME=... ...`), plus `env`. */
function puddle(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: home,
          // No instance metadata service here: without this the SDK waits for it before giving up.
          AWS_EC2_METADATA_DISABLED: 'true',
          // The SDK's own notice on Node 20 (that it will need Node 22) is not the command's output.
          NODE_NO_WARNINGS: '1',
          PUDDLE_LOG_LEVEL: 'error',
          ...env,
        },
        timeout: 60_000,
      },
      (err, _stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stderr }),
    );
  });
}

describe('`puddle aws totals-rebuild` without usable AWS settings', () => {
  it('says in one line that there are no credentials, that they were refused, or that there is no region, and exits 1', async () => {
    const [none, refused, noRegion] = await Promise.all([
      puddle(['aws', 'totals-rebuild'], { AWS_REGION: 'eu-west-2' }),
      puddle(['aws', 'totals-rebuild'], { AWS_REGION: 'eu-west-2', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEUNKNOWN01', AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_ENDPOINT_URL_ATHENA: athenaUrl }),
      puddle(['aws', 'totals-rebuild'], { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEUNKNOWN01', AWS_SECRET_ACCESS_KEY: SECRET_KEY }),
    ]);
    expect(none.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^puddle aws totals-rebuild: no usable AWS credentials \(.+\): sign in with `aws sso login` \(AWS_PROFILE naming the profile\) or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY$/),
    ]);
    expect(none.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toEqual([
      'puddle aws totals-rebuild: AWS refused the credentials (UnrecognizedClientException): they are wrong or expired; sign in again or set fresh keys',
    ]);
    expect(refused.code).toBe(1);
    expect(noRegion.stderr.trim().split('\n')).toEqual(['puddle aws totals-rebuild: no AWS region: set AWS_REGION (for example eu-west-2)']);
    expect(noRegion.code).toBe(1);
    // AWS out of reach (no network, a mistyped region's endpoint): one line too, not an uncaught exception.
    const unreachable = await puddle(['aws', 'totals-rebuild'], { AWS_REGION: 'eu-west-2', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEUNKNOWN01', AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_ENDPOINT_URL_ATHENA: 'http://127.0.0.1:1' });
    expect(unreachable.stderr.trim().split('\n').filter((l) => l.startsWith('puddle aws'))).toEqual([expect.stringMatching(/^puddle aws totals-rebuild: .*ECONNREFUSED/)]);
    expect(unreachable.stderr).not.toMatch(/\n\s+at /);
    expect(unreachable.code).toBe(1);
    for (const r of [none, refused, noRegion, unreachable]) {
      expect(r.stderr).not.toContain(SECRET_KEY);
      expect(r.stderr).not.toContain('AKIAEXAMPLEUNKNOWN01');
    }
  });
});
