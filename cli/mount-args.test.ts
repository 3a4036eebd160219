import { describe, expect, it } from 'vitest';
import { requestOf, serverArgs } from './commands/mount.js';

describe('the mount serving process is started with the request it was given', () => {
  it('keeps --raw and --browse, and names with spaces or dashes, through its arguments', () => {
    for (const req of [
      { image: '/cases/a b/-EV.dd', dir: '/mnt/x y', browse: false, cacheBytes: 256 * 1024 * 1024 },
      { image: 'EV.001', raw: true, dir: '--raw', browse: true, cacheBytes: 16 * 1024 * 1024 },
    ]) {
      expect(requestOf(serverArgs(req))).toEqual(req);
    }
  });
});
