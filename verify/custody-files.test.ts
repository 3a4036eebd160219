import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers/cli.js';
import { MAX_CHECKPOINT_BYTES, readCheckpointText } from './custody-files.js';

const work = tempDir('exhibit-custody-files-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('readCheckpointText', () => {
  it('reads a checkpoint, and gives nothing for a named pipe, /dev/zero or an oversized file in its place, at once', () => {
    const good = path.join(work, 'good.checkpoint');
    fs.writeFileSync(good, 'exhibit custody checkpoint\n');
    expect(readCheckpointText(good)).toBe('exhibit custody checkpoint\n');
    const fifo = path.join(work, 'fifo.checkpoint');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(readCheckpointText(fifo)).toBeUndefined(); // a plain read would wait for a writer for ever
    const zero = path.join(work, 'zero.checkpoint');
    fs.symlinkSync('/dev/zero', zero);
    expect(readCheckpointText(zero)).toBeUndefined(); // a plain read would never end
    const big = path.join(work, 'big.checkpoint');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, MAX_CHECKPOINT_BYTES + 1);
    expect(readCheckpointText(big)).toBeUndefined();
    expect(readCheckpointText(path.join(work, 'none.checkpoint'))).toBeUndefined();
  });
});
