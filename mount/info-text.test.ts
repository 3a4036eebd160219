import { describe, expect, it } from 'vitest';
import { infoText, type InfoFacts } from './info-text.js';

describe('info.txt', () => {
  it('shows control characters from the image (an examiner name, a partition name) as [U+XXXX], never raw', () => {
    const facts = {
      image: '/cases/x.E01',
      reader: { format: 'e01', files: ['/cases/x.E01'], size: 1024, sectorSize: 512, caseFacts: { examiner: 'J\u001b[2J\u001b[31mDoe\u0007' }, storedHashes: {}, errorRanges: [] },
      table: { scheme: 'gpt', partitions: [], findings: [] },
      volumes: [{ name: 'p1', start: 512, bytes: 512, description: 'GPT "evil\u001b]0;x\u0007"' }],
      record: { missing: 'none beside the image' },
      warnings: [],
    } as unknown as InfoFacts;
    const text = infoText(facts);
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(text).toContain('J[U+001B][2J[U+001B][31mDoe[U+0007]');
    expect(text).toContain('evil[U+001B]]0;x[U+0007]');
  });
});
