/** Where `npm run demo` puts things, and the commands it prints at its end to go on from its case (test/demo.e2e.test.ts runs them). */
import path from 'node:path';

export const CASE = 'DEMO-2026-001';
export const outRel = 'demo-output';
export const evidenceRel = path.join(outRel, 'evidence');
export const homeRel = path.join(outRel, 'home');

/** Command lines for a shell in the project folder, with exhibit on the PATH. */
export function continueCommands(): string[] {
  const home = `EXHIBIT_HOME=${homeRel}`;
  return [
    `${home} exhibit case show ${CASE}`,
    `${home} exhibit custody log ${CASE}`,
    `${home} exhibit verify ${path.join(evidenceRel, 'EV-001.raw')} -x "Demo Examiner"`,
    `exhibit custody verify ${path.join(evidenceRel, 'EV-001.custody.jsonl')}`,
    `${home} exhibit report ${CASE} --out ${path.join(outRel, `${CASE}-again.pdf`)} -x "Demo Examiner"`,
  ];
}
