import { formatTable } from '../src/table';

describe('formatTable', () => {
  it('aligns columns and prints dates and missing values readably', () => {
    expect(
      formatTable(
        ['a', 'long header'],
        [
          [1, new Date('2026-01-01T00:00:00.000Z')],
          ['xyz', null],
        ],
      ),
    ).toBe(['a    long header', '---  --------------------', '1    2026-01-01T00:00:00Z', 'xyz  -'].join('\n'));
  });
});
