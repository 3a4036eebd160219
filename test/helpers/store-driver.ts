/**
 * One workstation for the store tests, run as a process of its own:
 *   node dist/test/helpers/store-driver.js <case> <evidence> <transfers> <tag>
 * With its own EXHIBIT_HOME (its examiners' keys) and the shared EXHIBIT_STORE, it registers
 * <evidence> by "Examiner <tag>" and passes it back and forth between "Examiner <tag>" and
 * "Clerk <tag>" (both signing) <transfers> times, one append each, printing "appended <n>" after
 * each one is committed.
 */
import { CaseStore, createKey, exhibitPaths, findKey, hasEvidence, loadSigner, recordTransfer, registerEvidence } from '../../case-store/index.js';

const [caseNumber, evidence, count, tag] = process.argv.slice(2) as [string, string, string, string];
const store = CaseStore.open(exhibitPaths(process.env));
const signer = (name: string) => {
  if (!findKey(store, name)) createKey(store, name);
  return loadSigner(store, name);
};
const examiner = signer(`Examiner ${tag}`);
const clerk = signer(`Clerk ${tag}`);
if (!hasEvidence(store, store.getCase(caseNumber), evidence)) registerEvidence(store, caseNumber, { number: evidence, serial: `S-${tag}` }, examiner);
let holder = examiner;
for (let i = 1; i <= Number(count); i++) {
  const other = holder === examiner ? clerk : examiner;
  recordTransfer(store, caseNumber, evidence, holder, { name: other.name, signer: other }, `hand-over ${i}`, `desk ${tag}`);
  holder = other;
  process.stdout.write(`appended ${i}\n`);
}
store.close();
