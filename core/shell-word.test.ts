import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellWord } from './shell-word.js';

describe('shellWord', () => {
  it('leaves plain paths as they are and quotes the rest so sh reads each back as one word', () => {
    expect(shellWord('/mnt/ev1')).toBe('/mnt/ev1');
    expect(shellWord('mp/sp ace dir')).toBe("'mp/sp ace dir'");
    for (const s of ['mp/sp ace dir', "it's", 'a$b`c`"d"\\e', '-n', '', 'x\ny', '*']) {
      const r = spawnSync('sh', ['-c', `printf %s ${shellWord(s)}`], { encoding: 'utf8' });
      expect(r.stdout, s).toBe(s);
    }
  });
});
