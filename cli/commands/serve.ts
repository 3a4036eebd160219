import { Command } from 'commander';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exhibitPaths, findKey, loadSigner } from '../../case-store/index.js';
import { ExhibitError } from '../../core/errors.js';
import { isLoopback, startServer } from '../../serve/server.js';
import { action } from '../action.js';
import { EXIT } from '../exit-codes.js';
import { io } from '../io.js';
import { info } from '../messages.js';
import { readPassphrase } from '../passphrase.js';
import { interruptSignal } from '../signals.js';
import { examinerName, openStoreForReading } from '../store.js';

interface ServeFlags {
  listen: string;
  allowActions?: boolean;
  examiner?: string;
  passphraseFile?: string;
  reports?: string;
  json?: boolean;
}

const BIN = fileURLToPath(new URL('../../../bin/exhibit.js', import.meta.url));

/** host:port, [v6]:port or a port alone; the port 0 picks a free one. */
function listenAddress(text: string): { host: string; port: number } {
  const withHost = /^\d+$/.test(text) ? `127.0.0.1:${text}` : text;
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(withHost);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new ExhibitError('USAGE', `--listen "${text}" is not an address to listen on`, { hints: ['write host:port, e.g. 127.0.0.1:8717, or [::1]:8717'] });
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

export function serveCommand(): Command {
  return action<ServeFlags>(
    new Command('serve')
      .summary('a dashboard in the browser: jobs, media maps, cases, custody')
      .description(
        "Serve a dashboard of the case store and its jobs (every workstation's, when a lab shares the store): every running and recent acquisition, verification, conversion, " +
          'restore and clone with its progress (updated as it goes); the map of each acquisition\'s media (read, unreadable, not yet read); ' +
          "and for each case and item, its holders over time, every custody entry with its signer and key fingerprint, whether the log's " +
          'chain, signatures and checkpoint check (by the same checker as exhibit custody log), acquisitions with their hashes, ' +
          'verifications and reports. Read-only unless --allow-actions.',
      )
      .option('--listen <host:port>', 'where to listen; other machines can reach it only if you name an address of theirs', '127.0.0.1:8717')
      .option('--allow-actions', 'let the page start a verification or issue a report, signed by --examiner')
      .option('-x, --examiner <name>', 'who signs what the actions do (or EXHIBIT_EXAMINER); needs a key on this machine')
      .option('--passphrase-file <file>', "the passphrase of the examiner's signing key (or EXHIBIT_PASSPHRASE)")
      .option('--reports <dir>', 'where reports issued from the page are written, and looked for to download (default: reports/ in the exhibit home)')
      .addHelpText(
        'after',
        '\nAt start exhibit prints an address with a one-time access token: open it in your browser. The token opens one\n' +
          'session and is then spent; requests without the session, from other sites, or naming another host are refused.\n' +
          'Files are served only where the case store names them (mapfiles beside records, reports in --reports).\n' +
          'Actions run exhibit verify and exhibit report as separate jobs, logged and signed exactly as from the command line.\n\n' +
          'Examples:\n  exhibit serve\n  exhibit serve --allow-actions -x "J. Doe" --passphrase-file ~/.jdoe-pass\n  exhibit serve --listen 127.0.0.1:0          (any free port)\n\n' +
          'Ctrl-C stops it (exit 0); exit 1 when it cannot start (the port is taken).',
      ),
    async (_args, f) => {
      const { host, port } = listenAddress(f.listen);
      const paths = exhibitPaths(io().env);
      let examiner: string | undefined;
      let passphrase: string | undefined;
      if (f.allowActions) {
        examiner = examinerName(f.examiner, 'who signs what the dashboard does (--allow-actions)');
        passphrase = readPassphrase(f.passphraseFile);
        const store = openStoreForReading();
        try {
          if (!findKey(store, examiner)) throw new ExhibitError('USAGE', `${examiner} has no signing key on this machine, so nothing the dashboard does could be signed`, { hints: [`make one with: exhibit key create --examiner "${examiner}"`] });
          loadSigner(store, examiner, passphrase); // a wrong passphrase stops here, not at the first action
        } finally {
          store.close();
        }
      } else if (f.examiner !== undefined || f.passphraseFile !== undefined) {
        throw new ExhibitError('USAGE', '--examiner and --passphrase-file are for --allow-actions (the dashboard signs nothing without it)');
      }
      const stop = interruptSignal(() => undefined);
      let served: Awaited<ReturnType<typeof startServer>>;
      try {
        served = await startServer({
          paths,
          host,
          port,
          actions: f.allowActions === true,
          ...(examiner !== undefined ? { examiner } : {}),
          ...(passphrase !== undefined ? { passphrase } : {}),
          reportsDir: path.resolve(f.reports ?? path.join(paths.dataDir, 'reports')),
          exhibitBin: BIN,
          env: { ...io().env },
        });
      } catch (err) {
        stop.dispose();
        const code = (err as { code?: string }).code;
        if (code === 'EADDRINUSE') throw new ExhibitError('INTERNAL', `cannot listen on ${f.listen}: the port is taken`, { hints: ['choose another with --listen, e.g. --listen 127.0.0.1:0 for any free port'] });
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new ExhibitError('USAGE', `cannot listen on ${f.listen}: this machine has no such address`);
        throw err;
      }
      const out = io().stdout;
      out.write(`exhibit serve: the dashboard of ${paths.database} is at ${served.url}\n`);
      out.write(`open this address once in your browser (the token opens one session):\n  ${served.url}?token=${served.token}\n`);
      out.write(f.allowActions ? `actions allowed: verifications and reports are signed by ${examiner}\n` : 'read-only (start with --allow-actions to verify and issue reports from the page)\n');
      if (!isLoopback(host)) info(`warning: listening on ${host}: other machines can reach the dashboard (the token is still needed; the traffic is not encrypted)`);
      out.write('Ctrl-C stops it.\n');
      await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
      await served.close();
      stop.dispose();
      info('stopped');
      return EXIT.OK;
    },
  );
}
