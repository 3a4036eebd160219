import { describe, expect, it } from 'vitest';
import { uuidV5 } from './jsonld.js';

describe('uuidV5', () => {
  it('gives the RFC 9562 name-based UUID (the same as Python uuid.uuid5)', () => {
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'python.org')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });
  it('refuses a namespace that is not a UUID', () => {
    expect(() => uuidV5('not-a-uuid', 'x')).toThrow(/is not a UUID/);
  });
});
