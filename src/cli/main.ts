#!/usr/bin/env node
import { Command } from 'commander';
import { runCli } from './run.js';
import { commands } from './commands.js';

const program = new Command('r2end')
  .description('Reasoning-to-Encoder Distillation for recommendation')
  .version('0.1.0')
  // Set before the commands are added, so every subcommand inherits them.
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });
for (const register of commands) register(program);
await runCli(program, process.argv);
