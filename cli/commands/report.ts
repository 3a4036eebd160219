import { Command, Option } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { exhibitPaths, loadConfig, recordReport } from '../../case-store/index.js';
import { sha256Hex } from '../../core/crypto.js';
import { describeSystemError, ExhibitError } from '../../core/errors.js';
import { EVIDENCE_FILE_MODE } from '../../core/modes.js';
import { defaultTemplatePath, EXAMPLE_ORGANISATION, loadTemplate, settleOrganisation } from '../../report/template.js';
import { action, printJson } from '../action.js';
import { info } from '../messages.js';
import { readPassphrase } from '../passphrase.js';
import { examinerName, examinerSigner, openStore } from '../store.js';
import { io } from '../io.js';

interface ReportFlags {
  out?: string;
  template?: string;
  format: 'pdf' | 'jsonld';
  examiner?: string;
  passphraseFile?: string;
  json?: boolean;
}

export function reportCommand(version: string): Command {
  return action<ReportFlags>(
    new Command('report')
      .summary('the custody report of a case: a PDF/A document for the court, or CASE/UCO JSON-LD')
      .description(
        'Renders the case from the case store: its evidence items, every acquisition (tool, examiner, times, format, files and their ' +
          'SHA-256, media hashes, the read-only proof, unreadable ranges, the pieces and the SHA-256 of the pieces file), every verification, the chain-of-custody table, the custody ' +
          "log's checkpoint and the examiners' key fingerprints, and how to check it all independently. The PDF is PDF/A-3b with its " +
          'fonts embedded, and carries the custody log, its checkpoint, the acquisition records, their pieces files and the CASE/UCO export as attachments. ' +
          'Issuing a report is itself logged, with the SHA-256 of the file.',
      )
      .argument('<case>', 'the case number')
      .option('-o, --out <file>', 'where to write it (never overwritten)')
      .option('--template <file>', `the report template (YAML); default ${defaultTemplatePath()}`)
      .addOption(new Option('--format <format>', 'pdf, or jsonld for CASE/UCO').choices(['pdf', 'jsonld']).default('pdf'))
      .option('-x, --examiner <name>', 'who issues it (signs the custody log entry)')
      .option('--passphrase-file <file>', "the passphrase of the examiner's signing key (or EXHIBIT_PASSPHRASE)")
      .option('--json', 'say what was written as JSON')
      .addHelpText(
        'after',
        '\nExamples:\n  exhibit report 2026-0117 --out 2026-0117-custody.pdf -x "J. Doe"\n' +
          '  exhibit report 2026-0117 --out 2026-0117.jsonld --format jsonld -x "J. Doe"\n' +
          '  exhibit report 2026-0117 --out report.pdf --template my-lab.yaml -x "J. Doe"\n\n' +
          'Make your own template by copying the default and editing it: titles, labels, organisation, sections and their order, declaration.\n\n' +
          'The organisation every report names is set once in $EXHIBIT_HOME/config.yaml (by default ~/.config/exhibit/config.yaml):\n' +
          '  report:\n    organisation:\n      name: "County Digital Forensics Unit"\n      address: ["4 Court Lane", "Shiretown"]\n' +
          "Until it is, the report names the default template's example organisation, and exhibit warns.",
      ),
    async ([caseNumber], f) => {
      if (!f.out) throw new ExhibitError('USAGE', 'required option --out not given: say where to write the report');
      const examiner = examinerName(f.examiner, 'who issues the report');
      const configFile = exhibitPaths(io().env).configFile;
      // A broken template or settings file stops here.
      const settled = f.format === 'pdf' ? settleOrganisation(loadTemplate(f.template ?? defaultTemplatePath()), loadConfig(configFile).organisation) : undefined;
      const template = settled?.template;
      const out = path.resolve(f.out);
      if (fs.existsSync(out)) throw new ExhibitError('OUTPUT_EXISTS', `${out} exists; exhibit never overwrites a report`);
      const store = openStore();
      try {
        const signer = examinerSigner(store, examiner, readPassphrase(f.passphraseFile));
        // Loaded here, not at startup: pdfkit and its fonts would cost every exhibit command 0.3 s.
        const [{ gatherReport }, { caseUcoJsonLd }, { renderPdf }] = await Promise.all([import('../../report/data.js'), import('../../report/jsonld.js'), import('../../report/pdf.js')]);
        const data = gatherReport(store, caseNumber!.trim());
        const jsonld = caseUcoJsonLd(data, version);
        const bytes = template ? (await renderPdf(data, template, jsonld, version, signer)).pdf : Buffer.from(jsonld, 'utf8');
        writeExclusive(out, bytes);
        const sha256 = sha256Hex(bytes);
        const seq = recordReport(store, data.summary.case.number, signer, { file: path.basename(out), sha256, format: f.format, entries_covered: data.checkpoint.size });
        if (settled?.example) {
          info(`warning: the report names the template's example organisation (${[EXAMPLE_ORGANISATION.name, ...EXAMPLE_ORGANISATION.address].join(', ')}), not yours`);
          info(`  set yours once in ${configFile}:  report: { organisation: { name: "...", address: ["...", "..."] } }`);
        }
        if (f.json) printJson({ file: out, format: f.format, sha256, bytes: bytes.length, case: data.summary.case.number, entry: seq });
        else io().stdout.write(`wrote ${out} (${f.format}, ${bytes.length} bytes)\n  sha256  ${sha256}\n  logged as entry ${seq} of case ${data.summary.case.number}'s custody log, signed by ${signer.name}\n`);
      } finally {
        store.close();
      }
    },
  );
}

/** Create `file` (never replacing one), write, fsync; a failure leaves no partial file. */
function writeExclusive(file: string, bytes: Buffer): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', EVIDENCE_FILE_MODE);
  } catch (err) {
    throw new ExhibitError((err as { code?: string }).code === 'EEXIST' ? 'OUTPUT_EXISTS' : 'OUTPUT_WRITE', `cannot create ${file}: ${describeSystemError(err)}`, { cause: err });
  }
  try {
    fs.writeSync(fd, bytes);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw new ExhibitError('OUTPUT_WRITE', `cannot write ${file}: ${describeSystemError(err)}`, { cause: err });
  }
}
