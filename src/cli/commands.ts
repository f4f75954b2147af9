import type { Command } from 'commander';
import { register as encode } from './encode.js';

/** Every CLI command registers itself from its own file (src/cli/<name>.ts). */
export const commands: Array<(program: Command) => void> = [encode];
