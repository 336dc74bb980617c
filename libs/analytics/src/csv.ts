/** Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection), prefixed with '. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One RFC 4180 field: a cell that starts like a formula gets a leading apostrophe; a field holding
 * a comma, quote, CR or LF is quoted, with quotes doubled.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One CSV record with its CRLF terminator. */
export function csvRow(values: ReadonlyArray<string | number | null | undefined>): string {
  return `${values.map(csvField).join(',')}\r\n`;
}
