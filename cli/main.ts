import { Command, CommanderError } from 'commander';
import fs from 'node:fs';
import { exitCodeOf } from './action.js';
import { EXIT, exitCodesHelp } from './exit-codes.js';
import { checkRequired } from './required.js';
import { reportError } from './messages.js';
import { jsonText } from '../core/text.js';
import { exitOnInterrupt } from './signals.js';
import { beginJob, endJob } from './job-status.js';
import { enterIo, io, type OutStream } from './io.js';

/** exhibit's version, from its package.json (beside dist/ when built, one folder up when run from the sources, as the unit tests do). */
function packageVersion(): string {
  for (const rel of ['../../package.json', '../package.json']) {
    let pkg: { name?: string; version?: string };
    try {
      pkg = JSON.parse(fs.readFileSync(new URL(rel, import.meta.url), 'utf8')) as typeof pkg;
    } catch {
      continue;
    }
    if (pkg.name === 'exhibit' && pkg.version) return pkg.version;
  }
  throw new Error('exhibit cannot find its package.json');
}

/** Commander's rule (NO_COLOR, FORCE_COLOR, CLICOLOR_FORCE, else a colour terminal), read from the run's environment. */
function hasColors(stream: OutStream): boolean {
  const env = io().env;
  if (env.NO_COLOR || env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return false;
  if (env.FORCE_COLOR || env.CLICOLOR_FORCE !== undefined) return true;
  return stream.isTTY === true && stream.hasColors?.() === true;
}

/**
 * The commands in the order help lists them, each loaded on demand: a command
 * line names one command, and loading only its modules (not the report's PDF
 * and RDF libraries for an acquisition, nor the image formats for a custody
 * entry) keeps exhibit's start short. Help of the whole program, completion
 * scripts and anything not a command name load them all.
 */
const COMMANDS: readonly [string, (version: string) => Promise<Command>][] = [
  ['acquire', async (v) => (await import('./commands/acquire.js')).acquireCommand(v)],
  ['convert', async (v) => (await import('./commands/convert.js')).convertCommand(v)],
  ['verify', async () => (await import('./commands/verify.js')).verifyCommand()],
  ['restore', async () => (await import('./commands/restore.js')).restoreCommand()],
  ['clone', async (v) => (await import('./commands/clone.js')).cloneCommand(v)],
  ['inspect', async () => (await import('./commands/inspect.js')).inspectCommand()],
  ['mount', async () => (await import('./commands/mount.js')).mountCommand()],
  ['umount', async () => (await import('./commands/mount.js')).umountCommand()],
  ['case', async () => (await import('./commands/case.js')).caseCommand()],
  ['evidence', async () => (await import('./commands/evidence.js')).evidenceCommand()],
  ['custody', async () => (await import('./commands/custody.js')).custodyCommand()],
  ['key', async () => (await import('./commands/key.js')).keyCommand()],
  ['report', async (v) => (await import('./commands/report.js')).reportCommand(v)],
  ['status', async () => (await import('./commands/status.js')).statusCommand()],
  ['store', async () => (await import('./commands/store.js')).storeCommand()],
  ['completion', async () => (await import('./commands/completion.js')).completionCommand()],
  ['serve', async () => (await import('./commands/serve.js')).serveCommand()],
];

/**
 * The commands `argv` needs loaded: the one it names; none for `exhibit --version` alone; undefined
 * (every command) for anything else, such as the program's help or a mistyped command.
 */
function commandsNeeded(argv: readonly string[]): string[] | undefined {
  const name = argv[2];
  if (argv.length === 3 && (name === '-V' || name === '--version')) return [];
  return name !== undefined && name !== 'completion' && COMMANDS.some(([n]) => n === name) ? [name] : undefined;
}

/** The whole program, or (with `only`) the program holding just those commands, which parses and helps alike. */
export async function buildProgram(version: string, only?: readonly string[]): Promise<Command> {
  const program = new Command('exhibit')
    .description(
      'Forensic disk acquisition: image a seized drive read-only, hash it while copying, and keep a record ' +
        'and a signed custody log that anyone can check later.',
    )
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help for a command')
    .addHelpText('after', '\nRun "exhibit <command> --help" for the options of a command.');
  const wanted = COMMANDS.filter(([n]) => only === undefined || only.includes(n));
  for (const c of await Promise.all(wanted.map(([, load]) => load(version)))) program.addCommand(c);
  // addCommand does not pass settings down: give every command the same error style.
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  program.addHelpText('afterAll', `\n${exitCodesHelp()}`); // the one table, under every command's help
  checkRequired(program);
  for (const c of all(program)) {
    // A command's own help opens with what it does: its summary, where it has no longer description.
    if (!c.description() && c.summary()) c.description(c.summary());
    if (c !== program) c.helpOption('-h, --help', 'show this help');
    if (c.commands.length > 0) c.helpCommand('help [command]', 'show help for a command');
    // A repeatable option starts as an empty list, which help would print as "(default: [])".
    for (const o of c.options) if (Array.isArray(o.defaultValue) && o.defaultValue.length === 0) o.defaultValueDescription = 'none';
    c.exitOverride()
      .showHelpAfterError('(run with --help for usage)')
      .configureOutput({
        writeOut: (str) => void io().stdout.write(str),
        writeErr: (str) => void io().stderr.write(str),
        // commander's own default: the terminal's width, or none (it then wraps at 80)
        getOutHelpWidth: () => (io().stdout.isTTY ? io().stdout.columns : undefined) as number,
        getErrHelpWidth: () => (io().stderr.isTTY ? io().stderr.columns : undefined) as number,
        getOutHasColors: () => hasColors(io().stdout),
        getErrHasColors: () => hasColors(io().stderr),
        outputError: (str, write) => write(str.replace(/^error: /, 'exhibit: error: ')),
      });
  }
  return program;
}

/** Where an in-process run writes and what it reads; any part left out is the process's own. */
export interface MainIo {
  stdout?: OutStream;
  stderr?: OutStream;
  env?: NodeJS.ProcessEnv;
  /** Run as if started in this folder (process.chdir for the duration of the call). */
  cwd?: string;
}

/**
 * Run one exhibit command line (`argv` as process.argv: runtime, script, arguments)
 * and return its exit code. Without `runIo` it is the process's own command; with
 * it, output goes to the streams given and settings come from `env` (see cli/io.ts:
 * in-process runs must not overlap).
 */
export async function main(argv: string[], runIo?: MainIo): Promise<number> {
  const leave = runIo ? enterIo({ stdout: runIo.stdout ?? process.stdout, stderr: runIo.stderr ?? process.stderr, env: runIo.env ?? process.env, argv }) : () => {};
  const back = runIo?.cwd !== undefined ? process.cwd() : undefined;
  try {
    if (runIo?.cwd !== undefined) process.chdir(runIo.cwd);
    return await run(argv);
  } finally {
    if (back !== undefined) process.chdir(back);
    leave();
  }
}

async function run(argv: string[]): Promise<number> {
  beginJob(argv);
  let code = EXIT.FAILURE as number;
  try {
    code = await runProgram(argv);
    return code;
  } finally {
    endJob(code);
  }
}

async function runProgram(argv: string[]): Promise<number> {
  const program = await buildProgram(packageVersion(), commandsNeeded(argv));
  const release = exitOnInterrupt();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.OK;
      if (err.code === 'commander.executeSubCommandAsync') return EXIT.FAILURE;
      // The line is on stderr already; a caller that asked for JSON reads the same error on stdout.
      const options = argv.slice(2, argv.includes('--') ? argv.indexOf('--') : undefined);
      if (options.includes('--json')) {
        const [first = '', ...rest] = err.message.split('\n');
        const hints = rest.filter((l) => l.startsWith('exhibit: hint: ')).map((l) => l.slice('exhibit: hint: '.length));
        io().stdout.write(`${jsonText({ error: { code: 'USAGE', message: first.replace(/^(exhibit: )?error: /, ''), hints } }, 0)}\n`);
      }
      return EXIT.USAGE;
    }
    return reportError(err);
  } finally {
    release();
  }
  return exitCodeOf(program) ?? EXIT.OK;
}
