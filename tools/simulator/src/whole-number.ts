/**
 * A command-line option's value as a whole number ≥ 0, or an error naming the option
 * and ending with the command's usage.
 */
export function wholeNumberOption(name: string, value: string, usage: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new Error(`--${name} must be a whole number ≥ 0, not ${value}\n${usage}`);
  return n;
}
