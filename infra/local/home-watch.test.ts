import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { QueueCommitError } from '../../core/errors.js';
import { failureReason } from '../../core/repeated-failure.js';
import { watchQueueFile, type HomeWatch } from './home-watch.js';

const dirs: string[] = [];
const watches: HomeWatch[] = [];
afterEach(() => {
  for (const w of watches.splice(0)) w.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function home(): { dir: string; file: string; watch: HomeWatch } {
  const dir = mkdtempSync(join(tmpdir(), 'puddle-home-watch-'));
  dirs.push(dir);
  const file = join(dir, 'queue.db');
  writeFileSync(file, 'q');
  const watch = watchQueueFile(file, 20);
  watches.push(watch);
  return { dir, file, watch };
}

describe('watchQueueFile', () => {
  it('says nothing while the file is the one opened, even written to', async () => {
    const { file, watch } = home();
    writeFileSync(file, 'more');
    await sleep(100);
    expect(watch.gone()).toBeNull();
  });

  it('says so once the file is replaced by another (a home restored from a copy under the hub)', async () => {
    const { dir, file, watch } = home();
    writeFileSync(join(dir, 'copy'), 'q');
    renameSync(join(dir, 'copy'), file);
    await sleep(100);
    const gone = watch.gone();
    expect(gone).toBeInstanceOf(QueueCommitError);
    expect(gone!.message).toContain('queue.db is another file now');
    expect(failureReason(gone)).toBe('home_gone');
  });

  it('says so when the home is a file now (ENOTDIR), instead of throwing from its timer', async () => {
    const { dir, file, watch } = home();
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'not a folder');
    await sleep(100);
    expect(watch.gone()?.message).toContain(`${file} is not to be looked at (ENOTDIR)`);
    rmSync(dir);
  });
});
