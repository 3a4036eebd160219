import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { completionScript } from './completion.js';
import { buildProgram } from './main.js';
import { because } from '../test/helpers/skip.js';

const PROGRAM = await buildProgram('0.0.0'); // every command, as `exhibit --help` knows them

const have = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** What the bash script completes for the words of `line` (the last one being completed; '' after a space). */
function bashCompletes(line: string): string[] {
  const words = line.split(' ');
  const script = completionScript(PROGRAM, 'bash');
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `${script}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _exhibit; printf '%s\\n' "\${COMPREPLY[@]}"; complete -p exhibit >&2`], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toContain('complete -o default -F _exhibit exhibit');
  return r.stdout.split('\n').filter(Boolean);
}

describe.skipIf(!have('bash'))(because('exhibit completion bash', have('bash') ? undefined : 'needs bash'), () => {
  it('completes the commands, from the command tree', () => {
    const program = PROGRAM;
    expect(bashCompletes('exhibit ')).toEqual(program.commands.map((c) => c.name()));
    expect(bashCompletes('exhibit cu')).toEqual(['custody']);
    expect(bashCompletes('exhibit c')).toEqual(['convert', 'clone', 'case', 'custody', 'completion']);
    expect(bashCompletes('exhibit custody ')).toEqual(['transfer', 'log', 'verify', 'export', 'timestamp']);
  });
  it("completes a command's options, and an option's choices", () => {
    expect(bashCompletes('exhibit acquire --fo')).toEqual(['--format']);
    expect(bashCompletes('exhibit acquire --format ')).toEqual(['raw', 'split-raw', 'e01', 'zst']);
    expect(bashCompletes('exhibit acquire -f e')).toEqual(['e01']);
    expect(bashCompletes('exhibit convert x.E01 --compression ')).toEqual(['none', 'empty-block', 'fast', 'best']);
    expect(bashCompletes('exhibit custody transfer 17 EV-1 --')).toEqual(['--from', '--to', '--purpose', '--location', '--passphrase-file', '--to-passphrase-file', '--override', '--no-countersign', '--json', '--help']);
  });
  it('skips option values when it finds the command, and leaves file names to bash', () => {
    // "custody" here is the folder given to --out, not the command
    expect(bashCompletes('exhibit acquire -o custody --ca')).toEqual(['--case']);
    expect(bashCompletes('exhibit acquire -o custody ')).toEqual([]);
    expect(bashCompletes('exhibit acquire --out ')).toEqual([]);
    expect(bashCompletes('exhibit --version')).toEqual(['--version']);
  });
});

describe('exhibit completion zsh', () => {
  const script = completionScript(PROGRAM, 'zsh');
  it('holds every command and option, with their descriptions', () => {
    expect(script.startsWith('#compdef exhibit\n')).toBe(true);
    expect(script).toContain("'custody') printf '%s\\n' 'transfer log verify export timestamp' ;;");
    expect(script).toContain('acquire:image a drive or file, read-only, with in-stream hashes');
    expect(script).toMatch(/'acquire -f'\|'acquire --format'\) printf '%s\\n' 'raw split-raw e01 zst' ;;/);
    expect(script).toContain('compdef _exhibit exhibit');
  });
  /** What the zsh script offers for the words of `line`, with zsh's completion functions replaced by ones that print what they are given. */
  function zshOffers(line: string): string {
    const words = line.split(' ');
    const stubs = [
      'compdef() { :; }',
      'compadd() { [[ $1 == -- ]] && shift; print -r -- "values: $*"; }',
      '_describe() { local -a given; given=("${(@P)${@[-1]}}"); print -r -- "described: ${(j:|:)given}"; }',
      '_files() { print -r -- "files"; }',
    ].join('\n');
    const call = `words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}; _exhibit`;
    const r = spawnSync('zsh', ['-f', '-c', `${stubs}\n${script}\n${call}`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim();
  }
  const noZsh = have('zsh') ? undefined : 'needs zsh (apt-get install zsh)';
  it.skipIf(noZsh !== undefined)(because('completes commands with their summaries, options, choices and file names in zsh', noZsh), () => {
    expect(zshOffers('exhibit ')).toMatch(/^described: acquire:image a drive or file, read-only, with in-stream hashes\|convert:/);
    expect(zshOffers('exhibit custody ')).toBe(
      "described: transfer:record that an evidence item changed hands|log:print a case's custody log, checked|verify:check the custody log that travels with an image|export:copy a case's custody log, checkpoint and public keys into an evidence folder|timestamp:have a case's current checkpoint time-stamped (RFC 3161) by the lab's time-stamping authority",
    );
    expect(zshOffers('exhibit acquire --format ')).toBe('values: raw split-raw e01 zst');
    expect(zshOffers('exhibit acquire -o custody --ca')).toMatch(/^described: -o:folder for the image .*\|--case:case number/);
    expect(zshOffers('exhibit acquire -o ')).toBe('files');
    expect(zshOffers('exhibit verify image.E01 ')).toBe('files');
  });
});
