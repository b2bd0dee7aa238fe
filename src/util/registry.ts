import { UsageError } from '../errors.js';

/** The entry `name` of a registry chosen by a command-line flag, or a UsageError naming the flag and the choices. */
export function entryNamed<T>(registry: Readonly<Record<string, T>>, flag: string, name: string): T {
  if (!Object.hasOwn(registry, name)) throw new UsageError(`${flag} must be one of ${Object.keys(registry).join(', ')}, got '${name}'`);
  return registry[name]!;
}
