import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test/helpers/cli.js';
import { checkCustodyFiles, MAX_CHECKPOINT_BYTES, MAX_LOG_BYTES, readCheckpointText } from './custody-files.js';

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

describe('checkCustodyFiles', () => {
  it('checks a log over the bound as an empty one that says so, and names a checkpoint too large to read as such', () => {
    const log = path.join(work, 'EV.custody.jsonl');
    fs.writeFileSync(log, '');
    fs.truncateSync(log, MAX_LOG_BYTES + 1);
    const cp = path.join(work, 'EV.checkpoint');
    fs.writeFileSync(cp, '');
    fs.truncateSync(cp, MAX_CHECKPOINT_BYTES + 1);
    const c = checkCustodyFiles(log);
    expect(c.lines).toEqual([]);
    const said = c.problems.map((p) => p.message).join('\n');
    expect(said).toContain(`the log is ${MAX_LOG_BYTES + 1} bytes, more than the ${MAX_LOG_BYTES} exhibit reads as a custody log`);
    expect(said).toContain('the checkpoint beside the log (EV.checkpoint) cannot be read as one (too large, or not a regular file)');
    expect(said).not.toContain('there is no checkpoint');
  });
});
