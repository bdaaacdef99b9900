/** A small fixed-width text table for the tools' output: dates as ISO, null and undefined as `-`. */
export function formatTable(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((row) =>
    row.map((c) =>
      c instanceof Date ? c.toISOString().replace('.000Z', 'Z') : c === null || c === undefined ? '-' : String(c),
    ),
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
