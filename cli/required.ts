/**
 * Required options and arguments, declared once: listed first in --help under
 * "Required options:", shown in the usage line, and all of the missing ones
 * named in one error (commander alone names one per run).
 */
import { Argument, Command, Option } from 'commander';
import { io } from './io.js';

interface Need {
  /** An environment variable that stands in for the option. */
  env?: string;
  /** The long flag of an option that makes this one unnecessary (acquire --resume). */
  unless?: string;
}

const needs = new WeakMap<Option | Argument, Need>();
const REQUIRED = 'Required options:';

function flagOf(option: Option): string {
  return (option.long ?? option.short ?? option.flags) + (option.required ? ` ${option.flags.slice(option.flags.lastIndexOf(' ') + 1)}` : '');
}

/** An option every run needs (add it with addOption before any other, so its group comes first in --help). */
export function requiredOption(flags: string, description: string, need: Need = {}): Option {
  const extra = [need.env ? `or set ${need.env}` : '', need.unless ? `not needed with ${need.unless}` : ''].filter(Boolean);
  const option = new Option(flags, extra.length > 0 ? `${description} (${extra.join('; ')})` : description).helpGroup(REQUIRED);
  needs.set(option, need);
  return option;
}

/** Mark an optional argument (`[source]`) as needed except when `unless` is given. */
export function argumentNeededUnless(cmd: Command, name: string, unless: string): void {
  const arg = cmd.registeredArguments.find((a) => a.name() === name);
  if (!arg) throw new Error(`${cmd.name()} has no argument ${name}`);
  needs.set(arg, { unless });
}

function lifted(cmd: Command, need: Need | undefined): boolean {
  if (need?.unless === undefined) return false;
  const by = cmd.options.find((o) => o.long === need.unless);
  return by !== undefined && cmd.getOptionValue(by.attributeName()) !== undefined;
}

function given(value: unknown): boolean {
  return value !== undefined && !(typeof value === 'string' && value.trim() === '');
}

/** The one message naming everything required that this command line lacks, or undefined. */
export function missingRequired(cmd: Command): string | undefined {
  const args = cmd.registeredArguments.filter((a, i) => (a.required || needs.has(a)) && !lifted(cmd, needs.get(a)) && cmd.args[i] === undefined);
  const options = cmd.options.filter((o) => {
    const need = needs.get(o);
    if (need === undefined || lifted(cmd, need)) return false;
    if (given(cmd.getOptionValue(o.attributeName()))) return false;
    return !(need.env !== undefined && given(io().env[need.env]));
  });
  if (args.length === 0 && options.length === 0) return undefined;
  const parts = [
    ...args.map((a) => `the ${a.name()} (${a.description})`),
    ...(options.length > 0 ? [`${options.length === 1 ? 'the required option' : 'the required options'} ${options.map((o) => flagOf(o) + (typeof cmd.getOptionValue(o.attributeName()) === 'string' ? ' (given empty)' : needs.get(o)?.env ? ` (or ${needs.get(o)!.env})` : '')).join(', ')}`] : []),
  ];
  return `missing ${parts.join(' and ')}\nexhibit: hint: ${usageLine(cmd)}`;
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** `exhibit acquire <source> --out <dir> ... [options]`: what a run needs, in one line. */
export function usageLine(cmd: Command): string {
  return `${commandPath(cmd)} ${usage(cmd)}`;
}

function usage(cmd: Command): string {
  const args = cmd.registeredArguments.map((a) => (a.required || needs.has(a) ? `<${a.name()}>` : `[${a.name()}]`));
  const options = cmd.options.filter((o) => needs.has(o)).map(flagOf);
  const hasOther = cmd.options.some((o) => !needs.has(o)) || cmd.commands.length === 0;
  return [...args, ...options, ...(hasOther ? ['[options]'] : [])].join(' ');
}

/**
 * Make every command in the tree report all that is missing at once: before its
 * action runs, and in place of commander's one-at-a-time missing-argument error.
 */
export function checkRequired(program: Command): void {
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) {
    if (c.registeredArguments.some((a) => needs.has(a)) || c.options.some((o) => needs.has(o))) c.usage(usage(c));
    // commander calls this for the first required argument it misses
    (c as unknown as { missingArgument: (name: string) => void }).missingArgument = () => c.error(`error: ${missingRequired(c)}`, { code: 'commander.missingArgument' });
  }
  program.hook('preAction', (_self, actionCommand) => {
    const missing = missingRequired(actionCommand);
    if (missing) actionCommand.error(`error: ${missing}`, { code: 'commander.missingMandatoryOptionValue' });
  });
}
