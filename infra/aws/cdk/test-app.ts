// A CDK App for the stack's tests, synthesised into a folder of its own that the test file removes afterwards.
// `new App()` without an `outdir` makes a `cdk.out*` folder in the system's temporary folder that nothing removes:
// about 50 of them after each run of the AWS tests, until 2026-12-06.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll } from 'vitest';

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** An App that bundles no Lambda code (the stack's shape is under test, not the bundles). */
export function testApp(): App {
  const outdir = mkdtempSync(join(tmpdir(), 'puddle-cdk-test-'));
  made.push(outdir);
  return new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
}
