import { Argument, Command } from 'commander';
import { COMPLETION_SHELLS, completionScript, type Shell } from '../completion.js';
import { io } from '../io.js';

export function completionCommand(): Command {
  return new Command('completion')
    .summary('print the shell completion script for bash or zsh')
    .description('Print a script that completes exhibit\'s commands, options and option values in bash or zsh, made from this exhibit\'s own commands.')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices([...COMPLETION_SHELLS]))
    .addHelpText(
      'after',
      '\nbash:  source <(exhibit completion bash)                  (this shell only)\n' +
        '       exhibit completion bash > /etc/bash_completion.d/exhibit\n' +
        'zsh:   source <(exhibit completion zsh)                   (after compinit)\n' +
        '       exhibit completion zsh > "${fpath[1]}/_exhibit"',
    )
    .action((shell: Shell, _flags: unknown, cmd: Command) => {
      let root = cmd;
      while (root.parent) root = root.parent;
      io().stdout.write(completionScript(root, shell));
    });
}
