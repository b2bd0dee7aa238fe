/** Every CLI command, registered in the order `hnas --help` lists them. */
import type { Command } from 'commander';

import { registerBrackets } from './brackets.js';

export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [
  registerBrackets,
];
