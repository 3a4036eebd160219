import { shownLines } from '../../core/text.js';
import { Command, Option } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { exhibitPaths, loadConfig, recordReport } from '../../case-store/index.js';
import { sha256Hex } from '../../core/crypto.js';
import { ExhibitError } from '../../core/errors.js';
import { writeNewOutputSync } from '../../core/record/atomic.js';
import { defaultTemplatePath, EXAMPLE_ORGANISATION, loadTemplate, settleOrganisation } from '../../report/template.js';
import { action, printJson } from '../action.js';
import { EXIT } from '../exit-codes.js';
import { asJob, startJob } from '../job.js';
import { info, reportError } from '../messages.js';
import { readPassphrase } from '../passphrase.js';
import { examinerName, examinerSigner, openStore } from '../store.js';
import { io } from '../io.js';
import { requiredOption } from '../required.js';
import { readTrustRegister } from '../../verify/trust.js';

interface ReportFlags {
  out?: string;
  template?: string;
  format: 'pdf' | 'jsonld';
  examiner?: string;
  passphraseFile?: string;
  trust?: string;
  validate?: boolean;
  ontology?: string;
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
      .addOption(requiredOption('-o, --out <file>', 'where to write it (never overwritten)'))
      .addOption(requiredOption('-x, --examiner <name>', 'who issues it (signs the custody log entry)', { env: 'EXHIBIT_EXAMINER' }))
      .option('--template <file>', `the report template (YAML); default ${defaultTemplatePath()}`)
      .addOption(new Option('--format <format>', 'pdf, or jsonld for CASE/UCO').choices(['pdf', 'jsonld']).default('pdf'))
      .option('--passphrase-file <file>', "the passphrase of the examiner's signing key (or EXHIBIT_PASSPHRASE)")
      .option('--trust <register>', "check every signing key against the lab's trust register first, and print the register's SHA-256 in the report")
      .option('--validate', 'check the CASE/UCO export (the file, or the copy attached to the PDF) against the CASE and UCO shapes first; if it does not conform, nothing is written or logged (exit 4)')
      .option('--ontology <dir>', 'the folder of the CASE and UCO ontology files (.ttl) that --validate checks against')
      .option('--json', 'say what was written as JSON')
      .addHelpText(
        'after',
        '\nExamples:\n  exhibit report 2026-0117 --out 2026-0117-custody.pdf -x "J. Doe"\n' +
          '  exhibit report 2026-0117 --out 2026-0117.jsonld --format jsonld -x "J. Doe"\n' +
          '  exhibit report 2026-0117 --out report.pdf --template my-lab.yaml -x "J. Doe"\n' +
          '  exhibit report 2026-0117 --out 2026-0117.jsonld --format jsonld --validate --ontology case-uco-1.4.0/ -x "J. Doe"\n\n' +
          'With --validate the export is checked as the CASE community\'s case_validate checks it (SHACL, with UCO\'s SPARQL rules, offline): ' +
          'no violation and no warning, and every class, property and datatype defined by the ontology; each shape that fails is named. ' +
          'Give --ontology the ontology files of a CASE and a UCO release (ontology/**/*.ttl of each); the export is written for CASE 1.4.0 and UCO 1.4.0. ' +
          'The check runs offline in a few seconds, mostly loading the ontology (about 7 s for a case of a few acquisitions and 60 transfers on a 2-core machine).\n\n' +
          'Make your own template by copying the default and editing it: titles, labels, organisation, sections and their order, declaration.\n\n' +
          'The organisation every report names is set once in $EXHIBIT_HOME/config.yaml (by default ~/.config/exhibit/config.yaml):\n' +
          '  report:\n    organisation:\n      name: "County Digital Forensics Unit"\n      address: ["4 Court Lane", "Shiretown"]\n' +
          "Until it is, the report names the default template's example organisation, and exhibit warns.",
      ),
    async ([caseNumber], f) => {
      if (f.validate && !f.ontology) throw new ExhibitError('USAGE', '--validate needs --ontology <dir>: the folder of the CASE and UCO ontology files (.ttl) to check against');
      if (f.ontology && !f.validate) throw new ExhibitError('USAGE', '--ontology is the ontology that --validate checks against; add --validate');
      const examiner = examinerName(f.examiner, 'who issues the report');
      const configFile = exhibitPaths(io().env).configFile;
      // A broken template or settings file stops here.
      const settled = f.format === 'pdf' ? settleOrganisation(loadTemplate(f.template ?? defaultTemplatePath()), loadConfig(configFile).organisation) : undefined;
      const template = settled?.template;
      const out = path.resolve(f.out!);
      if (fs.existsSync(out)) throw new ExhibitError('OUTPUT_EXISTS', `${out} exists; exhibit never overwrites a report`);
      const register = f.trust !== undefined ? readTrustRegister(f.trust) : undefined;
      // Loaded only for --validate: the SHACL and SPARQL engines are large. A folder that is not an ontology stops here.
      const checker = f.ontology ? await import('../../report/case-uco-check.js') : undefined;
      const ontology = checker?.loadOntology(path.resolve(f.ontology!));
      const job = startJob({ kind: 'report', subject: out, case: caseNumber!.trim(), examiner, format: f.format });
      return asJob(job, async () => {
        const store = openStore();
        try {
          const signer = examinerSigner(store, examiner, readPassphrase(f.passphraseFile));
          // Loaded here, not at startup: pdfkit and its fonts would cost every exhibit command 0.3 s.
          const [{ gatherReport }, { caseUcoJsonLd }, { renderPdf }] = await Promise.all([import('../../report/data.js'), import('../../report/jsonld.js'), import('../../report/pdf.js')]);
          const data = gatherReport(store, caseNumber!.trim(), register);
          const jsonld = caseUcoJsonLd(data, version);
          let validation: ReturnType<typeof validationJson> | undefined;
          if (checker && ontology) {
            if (!f.json) info(`checking the CASE/UCO export against ${ontology.versions.join(' and ') || 'the ontology'} (${ontology.files.length} files in ${ontology.dir})...`);
            const check = await checker.checkCaseUco(jsonld, ontology);
            const said = checker.describeCheck(check, ontology.dir);
            validation = validationJson(check, said.lines);
            if (!check.conforms) {
              if (f.json) printJson({ file: null, format: f.format, case: data.summary.case.number, validation });
              else io().stdout.write(shownLines([said.verdict, ...said.lines.map((l) => `  ${l}`)]));
              return reportError(new ExhibitError('VERIFY_FAILED', `the CASE/UCO export of case ${data.summary.case.number} does not conform; nothing was written and nothing logged`));
            }
            if (!f.json) io().stdout.write(shownLines([said.verdict, ...said.lines.map((l) => `  ${l}`)]));
          }
          const rendered = template ? await renderPdf(data, template, jsonld, version, signer) : undefined;
          const bytes = rendered ? rendered.pdf : Buffer.from(jsonld, 'utf8');
          writeNewOutputSync(out, bytes);
          const sha256 = sha256Hex(bytes);
          const seq = recordReport(store, data.summary.case.number, signer, { file: path.basename(out), sha256, format: f.format, entries_covered: data.checkpoint.size });
          if (rendered && rendered.withoutGlyph.length > 0) {
            const chars = rendered.withoutGlyph;
            const shown = chars.slice(0, 8).map((ch) => `${ch} (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`).join(', ');
            info(`warning: the report's fonts have no glyph for ${chars.length} character${chars.length === 1 ? '' : 's'} it holds (${shown}${chars.length > 8 ? ', ...' : ''}): ${chars.length === 1 ? 'it is' : 'they are'} printed as [U+XXXX] code points; the attached custody log holds the text itself`);
          }
          if (data.failedEntries > 0) {
            const n = data.failedEntries;
            info(`warning: the custody log of case ${data.summary.case.number} fails its check: ${n} ${n === 1 ? 'entry is' : 'entries are'} signed by a key after its revocation; the report says so and lists ${n === 1 ? 'it' : 'them'}`);
          }
          if (settled?.example) {
            info(`warning: the report names the template's example organisation (${[EXAMPLE_ORGANISATION.name, ...EXAMPLE_ORGANISATION.address].join(', ')}), not yours`);
            info(`  set yours once in ${configFile}:  report: { organisation: { name: "...", address: ["...", "..."] } }`);
          }
          if (f.json) printJson({ file: out, format: f.format, sha256, bytes: bytes.length, case: data.summary.case.number, entry: seq, ...(validation ? { validation } : {}) });
          else io().stdout.write(shownLines([`wrote ${out} (${f.format}, ${bytes.length} bytes)`, `  sha256  ${sha256}`, `  logged as entry ${seq} of case ${data.summary.case.number}'s custody log, signed by ${signer.name}`]));
          return EXIT.OK;
        } finally {
          store.close();
        }
      }, (code) => (code === EXIT.OK ? `issued ${path.basename(out)}` : undefined));
    },
  );
}

/** What --json says of the check: the verdict, its counts, and each failing shape. */
function validationJson(c: import('../../report/case-uco-check.js').CaseUcoCheck, lines: string[]) {
  return { conforms: c.conforms, against: c.versions, triples: c.triples, violations: c.violations, warnings: c.warnings, infos: c.infos, undefined_terms: c.undefinedTerms, findings: lines };
}

