/** The Ex01 format (EWF2, as EnCase 7 and later write it): read, never written. */
import type { ReadableFormat } from '../descriptor.js';
import { EX01_SIGNATURE } from './layout.js';
import { Ex01Reader } from './reader.js';

export const ex01Format: ReadableFormat<'ex01'> = {
  name: 'ex01',
  title: 'an Ex01 image',
  fileNames: { extensions: '[Ee][X-Zx-z](\\d\\d|[A-Za-z]{2})', first: /^(.*)\.[Ee][Xx]01$/ },
  recognise: (head) => head.length >= EX01_SIGNATURE.length && EX01_SIGNATURE.equals(head.subarray(0, EX01_SIGNATURE.length)),
  async open(file) {
    const r = await Ex01Reader.open(file);
    return { reader: r, warnings: [...r.warnings] };
  },
  container: true,
  listsReadErrors: true,
};
