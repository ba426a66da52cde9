import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellWord } from './shell-word.js';

describe('shellWord', () => {
  it('leaves a plain path as it is and quotes one a shell would split or expand, so the shell reads it back whole', () => {
    expect(shellWord('/var/backups/puddle/2026-12-07-2015')).toBe('/var/backups/puddle/2026-12-07-2015');
    for (const path of ['/tmp/my backups/b1', "/tmp/o'neil/$HOME *", '/tmp/a;rm -rf x']) {
      expect(shellWord(path)).not.toBe(path);
      expect(execFileSync('sh', ['-c', `printf %s ${shellWord(path)}`], { encoding: 'utf8' })).toBe(path);
    }
  });
});
