import { wholeNumberOption } from '../src/whole-number';

describe('wholeNumberOption', () => {
  it('reads whole numbers from 0 up', () => {
    expect(wholeNumberOption('scale', '0', 'usage')).toBe(0);
    expect(wholeNumberOption('scale', '3000', 'usage')).toBe(3000);
  });

  it('refuses anything else, naming the option and showing the usage', () => {
    for (const bad of ['-1', '1.5', 'many', ''])
      expect(() => wholeNumberOption('scale', bad, 'usage: bench')).toThrow(
        `--scale must be a whole number ≥ 0, not ${bad}\nusage: bench`,
      );
  });
});
