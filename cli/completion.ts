/**
 * Shell completion for bash and zsh, generated from the command tree itself,
 * so a new command or option completes without anyone editing a script.
 */
import type { Command } from 'commander';

interface OptionFacts {
  flags: string[]; // -o and --out
  takesValue: boolean;
  choices: string[];
  description: string;
}

interface CommandFacts {
  path: string; // '' for exhibit itself, 'custody transfer' for a subcommand
  subcommands: { name: string; summary: string }[];
  options: OptionFacts[];
}

/** Every command in the tree, with its subcommands and options (help and version included). */
export function completionFacts(program: Command): CommandFacts[] {
  const facts: CommandFacts[] = [];
  const walk = (cmd: Command, path: string): void => {
    const options: OptionFacts[] = cmd.options
      .filter((o) => !o.hidden)
      .map((o) => ({
        flags: [o.short, o.long].filter((f): f is string => f !== undefined),
        takesValue: o.required || o.optional,
        choices: o.argChoices ?? [],
        description: o.description,
      }));
    options.push({ flags: ['-h', '--help'], takesValue: false, choices: [], description: 'show help for this command' });
    facts.push({ path, subcommands: cmd.commands.map((c) => ({ name: c.name(), summary: c.summary() || c.description() })), options });
    for (const c of cmd.commands) walk(c, path === '' ? c.name() : `${path} ${c.name()}`);
  };
  walk(program, '');
  return facts;
}

const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];
export const COMPLETION_SHELLS: readonly Shell[] = SHELLS;

/** A word list as one shell single-quoted string. */
function quoted(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The case arms shared by both shells: `"<path>") <what> ;;`, one per command that has any. */
function arms(facts: CommandFacts[], what: (f: CommandFacts) => string): string {
  return facts
    .map((f) => [f.path, what(f)] as const)
    .filter(([, v]) => v !== '')
    .map(([p, v]) => `    ${quoted(p)}) printf '%s\\n' ${quoted(v)} ;;`)
    .join('\n');
}

/** `case` over "<path> <option>" giving the option's choices. */
function choiceArms(facts: CommandFacts[]): string {
  const lines: string[] = [];
  for (const f of facts) {
    for (const o of f.options) {
      if (o.choices.length === 0) continue;
      lines.push(`    ${o.flags.map((flag) => quoted(`${f.path} ${flag}`)).join('|')}) printf '%s\\n' ${quoted(o.choices.join(' '))} ;;`);
    }
  }
  return lines.join('\n');
}

/** The helper functions both scripts use: the tree as data, looked up by command path. */
function tables(facts: CommandFacts[]): string {
  return [
    '# the subcommands of a command path',
    '_exhibit_subcommands() {',
    '  case "$1" in',
    arms(facts, (f) => f.subcommands.map((s) => s.name).join(' ')),
    '  esac',
    '}',
    '# the options of a command path',
    '_exhibit_options() {',
    '  case "$1" in',
    arms(facts, (f) => f.options.flatMap((o) => o.flags).join(' ')),
    '  esac',
    '}',
    '# the options of a command path that take a value',
    '_exhibit_valued() {',
    '  case "$1" in',
    arms(facts, (f) => f.options.filter((o) => o.takesValue).flatMap((o) => o.flags).join(' ')),
    '  esac',
    '}',
    '# the values an option accepts, for "<command path> <option>"',
    '_exhibit_choices() {',
    '  case "$1" in',
    choiceArms(facts),
    '  esac',
    '}',
    '# is word $2 one of the space-separated words in $1? (no word splitting: zsh does not split)',
    '_exhibit_among() {',
    '  case " $1 " in *" $2 "*) return 0 ;; esac',
    '  return 1',
    '}',
    '# the command path named by the first $1-1 of the words after it (option values skipped)',
    '_exhibit_path() {',
    '  local upto=$1 cmdpath="" skip=0 n=1 word',
    '  shift',
    '  for word in "$@"; do',
    '    [ $n -ge $upto ] && break',
    '    n=$((n + 1))',
    '    if [ $skip = 1 ]; then skip=0; continue; fi',
    '    case "$word" in',
    '      --*=*) continue ;;',
    '      -*) _exhibit_among "$(_exhibit_valued "$cmdpath")" "$word" && skip=1; continue ;;',
    '    esac',
    '    if _exhibit_among "$(_exhibit_subcommands "$cmdpath")" "$word"; then cmdpath="${cmdpath:+$cmdpath }$word"; fi',
    '  done',
    '  printf \'%s\' "$cmdpath"',
    '}',
  ].join('\n');
}

function bashScript(facts: CommandFacts[]): string {
  return [
    '# bash completion for exhibit, made by "exhibit completion bash".',
    '# Load it with:  source <(exhibit completion bash)',
    '# or install it: exhibit completion bash > /etc/bash_completion.d/exhibit',
    tables(facts),
    '_exhibit() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}" cmdpath choices',
    '  cmdpath=$(_exhibit_path "$COMP_CWORD" "${COMP_WORDS[@]:1}")',
    '  COMPREPLY=()',
    '  if [ "$COMP_CWORD" -gt 1 ] && _exhibit_among "$(_exhibit_valued "$cmdpath")" "$prev"; then',
    '    choices=$(_exhibit_choices "$cmdpath $prev")',
    '    # an option value: its choices, else file names (complete -o default)',
    '    [ -n "$choices" ] && COMPREPLY=($(compgen -W "$choices" -- "$cur"))',
    '    return 0',
    '  fi',
    '  case "$cur" in',
    '    -*) COMPREPLY=($(compgen -W "$(_exhibit_options "$cmdpath")" -- "$cur")) ;;',
    '    *) COMPREPLY=($(compgen -W "$(_exhibit_subcommands "$cmdpath")" -- "$cur")) ;;',
    '  esac',
    '  return 0',
    '}',
    'complete -o default -F _exhibit exhibit',
    '',
  ].join('\n');
}

/** `name:description` lines for zsh's _describe, colons in names escaped. */
function described(facts: CommandFacts[], what: (f: CommandFacts) => string[]): string {
  return facts
    .map((f) => [f.path, what(f).join('\n')] as const)
    .filter(([, v]) => v !== '')
    .map(([p, v]) => `    ${quoted(p)}) printf '%s\\n' ${quoted(v)} ;;`)
    .join('\n');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function zshScript(facts: CommandFacts[]): string {
  return [
    '#compdef exhibit',
    '# zsh completion for exhibit, made by "exhibit completion zsh".',
    '# Load it with:  source <(exhibit completion zsh)   (after compinit)',
    '# or install it as _exhibit in a folder on $fpath: exhibit completion zsh > ~/.zfunc/_exhibit',
    tables(facts),
    '# "name:summary" of the subcommands of a command path',
    '_exhibit_described_subcommands() {',
    '  case "$1" in',
    described(facts, (f) => f.subcommands.map((s) => `${s.name}:${oneLine(s.summary)}`)),
    '  esac',
    '}',
    '# "flag:description" of the options of a command path',
    '_exhibit_described_options() {',
    '  case "$1" in',
    described(facts, (f) => f.options.flatMap((o) => o.flags.map((flag) => `${flag}:${oneLine(o.description)}`))),
    '  esac',
    '}',
    '_exhibit() {',
    '  local cur=${words[CURRENT]} prev=${words[CURRENT-1]} cmdpath choices',
    '  local -a described',
    '  cmdpath=$(_exhibit_path "$((CURRENT - 1))" "${(@)words[2,-1]}")',
    '  if (( CURRENT > 2 )) && _exhibit_among "$(_exhibit_valued "$cmdpath")" "$prev"; then',
    '    choices=$(_exhibit_choices "$cmdpath $prev")',
    '    if [[ -n $choices ]]; then compadd -- ${=choices}; else _files; fi',
    '    return',
    '  fi',
    '  if [[ $cur == -* ]]; then',
    '    described=("${(@f)$(_exhibit_described_options "$cmdpath")}")',
    "    _describe -t options 'option' described",
    '  elif [[ -n $(_exhibit_subcommands "$cmdpath") ]]; then',
    '    described=("${(@f)$(_exhibit_described_subcommands "$cmdpath")}")',
    "    _describe -t commands 'command' described",
    '  else',
    '    _files',
    '  fi',
    '}',
    '# autoloaded from $fpath: complete now; sourced: register',
    'if [ "$funcstack[1]" = "_exhibit" ]; then _exhibit "$@"; else compdef _exhibit exhibit; fi',
    '',
  ].join('\n');
}

/** The completion script for `shell`, for the tree `program`. */
export function completionScript(program: Command, shell: Shell): string {
  const facts = completionFacts(program);
  return shell === 'bash' ? bashScript(facts) : zshScript(facts);
}
