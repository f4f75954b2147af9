import type { Command } from 'commander';
import { register as demo } from './demo.js';
import { register as encode } from './encode.js';
import { register as evaluate } from './evaluate.js';
import { register as exportData } from './export.js';
import { register as hybrid } from './hybrid.js';
import { register as prepare } from './prepare.js';
import { register as recommend } from './recommend.js';
import { register as report } from './report.js';
import { register as serve } from './serve.js';
import { register as teach } from './teach.js';
import { register as train } from './train.js';

/** Every CLI command registers itself from its own file (src/cli/<name>.ts). */
export const commands: Array<(program: Command) => void> = [
  prepare,
  exportData,
  teach,
  train,
  hybrid,
  encode,
  evaluate,
  recommend,
  report,
  serve,
  demo,
];
