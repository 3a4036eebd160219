import { shownLines } from '../../core/text.js';
import { Command } from 'commander';
import { listJobs, LOST_AFTER_MS, type JobRow } from '../../case-store/index.js';
import { formatBytes, formatDuration } from '../../core/units.js';
import { action, printJson } from '../action.js';
import { io } from '../io.js';
import { openStoreForReading } from '../store.js';

export function statusCommand(): Command {
  return action<{ json?: boolean; watch?: boolean }>(
    new Command('status')
      .summary("list the lab's running and recent jobs")
      .description(
        'Every acquire, verify, convert, restore, clone and report publishes its progress to the case store every 2 seconds ' +
          '(with EXHIBIT_STORE=postgresql://... or store: in config.yaml, the store every workstation of the lab shares; see exhibit store --help). This lists the jobs running ' +
          `now and those that ended in the last 24 hours; a running job silent for ${LOST_AFTER_MS / 1000} seconds is shown as lost ` +
          '(killed, or its workstation cut off).',
      )
      .option('--json', 'print the jobs as JSON')
      .option('--watch', 'show the list again every 2 seconds, until Ctrl-C')
      .addHelpText('after', '\nExamples:\n  exhibit status\n  EXHIBIT_STORE=postgresql://exhibit@lab-db/exhibit exhibit status --watch'),
    async (_a, f) => {
      const show = (): void => {
        const store = openStoreForReading();
        let jobs: JobRow[];
        try {
          jobs = listJobs(store);
        } finally {
          store.close();
        }
        if (f.json) return printJson(jobs);
        if (f.watch && io().stdout.isTTY) io().stdout.write('\x1b[H\x1b[2J');
        if (jobs.length === 0) return void io().stdout.write('no jobs running or ended in the last 24 hours\n');
        io().stdout.write(shownLines(jobs.map(jobLine)));
      };
      show();
      if (!f.watch) return;
      for (;;) {
        await new Promise((r) => setTimeout(r, 2_000));
        show();
      }
    },
  );
}

function jobLine(j: JobRow): string {
  const what = [j.case_number && `case ${j.case_number}`, j.evidence && `evidence ${j.evidence}`].filter(Boolean).join(', ');
  const who = `${j.examiner ?? 'examiner not given'} on ${j.host}`;
  const pct = j.bytes_total ? `${((100 * (j.bytes_done ?? 0)) / j.bytes_total).toFixed(1)}%` : '';
  const amount = j.bytes_done !== null && j.bytes_total !== null ? `${formatBytes(j.bytes_done)} of ${formatBytes(j.bytes_total)} ${pct}` : 'no progress yet';
  const rate = j.rate ? `, ${formatBytes(j.rate)}/s` : '';
  const eta = j.state === 'running' && j.rate && j.bytes_total !== null && j.bytes_done !== null ? `, ETA ${formatDuration((j.bytes_total - j.bytes_done) / j.rate)}` : '';
  const bad = j.unreadable_sectors ? `, ${j.unreadable_sectors} unreadable sector${j.unreadable_sectors === 1 ? '' : 's'} so far` : '';
  const state = j.state === 'lost' ? `LOST (silent since ${j.updated_utc})` : j.state === 'running' ? (j.phase ? `running (${j.phase})` : 'running') : `${j.state} ${j.updated_utc}${j.exit_code !== null ? `, exit ${j.exit_code}` : ''}`;
  return `${j.command} ${what || ''} - ${state}: ${amount}${rate}${eta}${bad}; ${who}`.replace(/ {2,}/g, ' ');
}
