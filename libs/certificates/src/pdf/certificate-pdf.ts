// Certificate of Completion renderer: one landscape A4 page, drawn with pdfkit.
//
// Fonts: Noto Sans regular + bold from @fontsource/noto-sans, embedded (pdfkit subsets them per
// document and writes ToUnicode maps, so the text stays searchable/extractable). Fontsource ships
// one file per script subset, so every text run is split into segments by the first subset file
// that has a glyph for each code point. Covered scripts:
//   - Latin incl. diacritics (fontsource subsets "latin" + "latin-ext" + "vietnamese": Latin-1,
//     Latin Extended-A/B and Additional, IPA), plus general punctuation, currency signs, №, ™;
//   - Greek incl. polytonic ("greek" + "greek-ext");
//   - Cyrillic ("cyrillic" + "cyrillic-ext").
// Anything else (CJK, Arabic, Hebrew, Thai, Devanagari (fontsource has a devanagari subset, not
// used here: Indic shaping across font runs is untested), emoji, ...) has no glyph in these files: it is
// drawn with the Latin font's .notdef glyph (an empty box) rather than failing the render.
// Bidirectional text is not reordered (no RTL support).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';

export interface CertificatePdfInput {
  studentName: string;
  courseTitle: string;
  instructorName: string;
  /** Rendered in UTC, English, e.g. "1 December 2026". Also the PDF's CreationDate. */
  completionDate: Date;
  /** CERT-YYYYMMDD-XXXXXX */
  certificateNumber: string;
  verificationUrl: string;
}

// ---------------------------------------------------------------------------------------------
// Fonts

/** Fontsource subset files, in lookup order (first file with a glyph wins). */
const SUBSETS = ['latin', 'latin-ext', 'vietnamese', 'greek', 'greek-ext', 'cyrillic', 'cyrillic-ext'] as const;
type Subset = (typeof SUBSETS)[number];
type Weight = 'regular' | 'bold';
const WEIGHT_FILE: Record<Weight, string> = { regular: '400', bold: '700' };

/** Name the font is registered under in every document, e.g. "bold-greek". */
type FontName = `${Weight}-${Subset}`;
const fontName = (weight: Weight, subset: Subset): FontName => `${weight}-${subset}`;
/** Used for code points no subset covers: draws .notdef. */
const FALLBACK_SUBSET: Subset = 'latin';

const require = createRequire(import.meta.url);

let fontBuffers: ReadonlyMap<FontName, Buffer> | undefined;

/** Font files, read once per process (lazily, on the first render). */
function loadFonts(): ReadonlyMap<FontName, Buffer> {
  if (!fontBuffers) {
    const fonts = new Map<FontName, Buffer>();
    for (const weight of ['regular', 'bold'] as const) {
      for (const subset of SUBSETS) {
        const file = require.resolve(
          `@fontsource/noto-sans/files/noto-sans-${subset}-${WEIGHT_FILE[weight]}-normal.woff`,
        );
        fonts.set(fontName(weight, subset), woffToSfnt(readFileSync(file)));
      }
    }
    fontBuffers = fonts;
  }
  return fontBuffers;
}

/**
 * Unpacks a WOFF 1.0 file into the plain TrueType/OpenType font it wraps. fontkit reads WOFF
 * directly but inflates a table again on every access (per glyph), which made a render ~10x slower;
 * a plain sfnt is read in place. WOFF: 44-byte header, then 20-byte table entries (tag, offset,
 * compLength, origLength, origChecksum), each table zlib-compressed unless compLength == origLength.
 */
function woffToSfnt(woff: Buffer): Buffer {
  if (woff.toString('latin1', 0, 4) !== 'wOFF') throw new Error('not a WOFF 1.0 font');
  const flavor = woff.readUInt32BE(4);
  const numTables = woff.readUInt16BE(12);
  const tables = Array.from({ length: numTables }, (_, i) => {
    const entry = 44 + i * 20;
    const offset = woff.readUInt32BE(entry + 4);
    const compLength = woff.readUInt32BE(entry + 8);
    const origLength = woff.readUInt32BE(entry + 12);
    const stored = woff.subarray(offset, offset + compLength);
    const data = compLength < origLength ? inflateSync(stored) : stored;
    if (data.length !== origLength) throw new Error('corrupt WOFF table');
    return { tag: woff.subarray(entry, entry + 4), checksum: woff.readUInt32BE(entry + 16), data };
  });
  const headerSize = 12 + 16 * numTables;
  const padded = (n: number): number => (n + 3) & ~3;
  const out = Buffer.alloc(headerSize + tables.reduce((sum, t) => sum + padded(t.data.length), 0));
  let entrySelector = 0;
  while (2 ** (entrySelector + 1) <= numTables) entrySelector++;
  const searchRange = 2 ** entrySelector * 16;
  out.writeUInt32BE(flavor, 0);
  out.writeUInt16BE(numTables, 4);
  out.writeUInt16BE(searchRange, 6);
  out.writeUInt16BE(entrySelector, 8);
  out.writeUInt16BE(numTables * 16 - searchRange, 10);
  let offset = headerSize;
  tables.forEach((table, i) => {
    const record = 12 + i * 16;
    table.tag.copy(out, record);
    out.writeUInt32BE(table.checksum, record + 4);
    out.writeUInt32BE(offset, record + 8);
    out.writeUInt32BE(table.data.length, record + 12);
    table.data.copy(out, offset);
    offset += padded(table.data.length);
  });
  return out;
}

/** What this module uses of a fontkit font (pdfkit's font engine). */
interface FontkitFont {
  hasGlyphForCodePoint(codePoint: number): boolean;
  layout(text: string): unknown;
  readonly characterSet: number[];
  glyphForCodePoint(codePoint: number): unknown;
}

/**
 * The fontkit font behind the current font of `doc`. pdfkit has no public API for it: its
 * EmbeddedFont (doc._font) keeps the fontkit font in `.font`. This is the only access to pdfkit
 * internals in this module (it also relies on two untyped behaviours: registerFont taking a fontkit
 * font, and layout features given as an object; the tests cover all three).
 */
function currentFontkitFont(doc: PDFKit.PDFDocument): FontkitFont {
  const font = (doc as unknown as { _font?: { font?: Partial<FontkitFont> } })._font?.font;
  if (typeof font?.hasGlyphForCodePoint !== 'function' || typeof font.layout !== 'function') {
    throw new Error('pdfkit internals changed: cannot reach the fontkit font of the current font');
  }
  return font as FontkitFont;
}

interface SharedFonts {
  /** Never output: holds the parsed fonts, and measures text so that measuring (cached) does not
   * change the order in which a certificate opens its fonts (font ids, hence the bytes). */
  scratch: PDFKit.PDFDocument;
  parsed: ReadonlyMap<FontName, FontkitFont>;
}
let sharedFonts: SharedFonts | undefined;

/**
 * The fonts parsed once per process, for glyph coverage, for measuring and for every document:
 * pdfkit also accepts a fontkit font where it takes a font file (PDFFontFactory.open), and then
 * reuses its decoded tables and glyphs instead of parsing the font again for each document (more
 * than half of the render time). Each document still builds its own subset of the glyphs it uses.
 * fontkit decodes tables and glyphs lazily and caches them on the font object; a render uses the
 * fonts synchronously (no interleaving between documents), and see FEATURES for the one piece of
 * cached state that could leak from one render into another.
 */
function shared(): SharedFonts {
  if (!sharedFonts) {
    const scratch = new PDFDocument({ autoFirstPage: false, font: '' });
    const parsed = new Map<FontName, FontkitFont>();
    for (const [name, buffer] of loadFonts()) {
      const font = currentFontkitFont(scratch.registerFont(name, buffer).font(name));
      primeGlyphCache(font);
      parsed.set(name, font);
    }
    sharedFonts = { scratch, parsed };
  }
  return sharedFonts;
}

/**
 * fontkit caches glyph objects per font, each with the code points it was first created for, and
 * pdfkit's ToUnicode map (text extraction, copy and paste, search) comes from those code points.
 * Writing a document's subset creates the components of composite glyphs without code points
 * (e.g. "α" inside "ά"); on a shared font, a later document would then find "α" cached without its
 * code point and extract garbage. Creating every mapped glyph from its code point first rules that out.
 */
function primeGlyphCache(font: FontkitFont): void {
  for (const codePoint of font.characterSet) font.glyphForCodePoint(codePoint);
}

const fonts = (): ReadonlyMap<FontName, FontkitFont> => shared().parsed;

function registerFonts(doc: PDFKit.PDFDocument): void {
  for (const [name, font] of fonts()) {
    // pdfkit's typings list only file sources; PDFFontFactory.open takes fontkit fonts as well.
    doc.registerFont(name, font as unknown as PDFKit.Mixins.PDFFontSource);
  }
}

/** weight -> code point -> first subset with a glyph for it (null: none), filled as met. */
const subsetCache: Record<Weight, Map<number, Subset | null>> = { regular: new Map(), bold: new Map() };
const SUBSET_CACHE_LIMIT = 20_000; // code points per weight (bounded against exotic input)

function coveringSubset(weight: Weight, codePoint: number): Subset | null {
  const cache = subsetCache[weight];
  let subset = cache.get(codePoint);
  if (subset === undefined) {
    const parsed = fonts();
    subset = SUBSETS.find((s) => parsed.get(fontName(weight, s))?.hasGlyphForCodePoint(codePoint)) ?? null;
    if (cache.size >= SUBSET_CACHE_LIMIT) cache.clear();
    cache.set(codePoint, subset);
  }
  return subset;
}

function covers(weight: Weight, subset: Subset, codePoint: number): boolean {
  return fonts().get(fontName(weight, subset))?.hasGlyphForCodePoint(codePoint) ?? false;
}

// ---------------------------------------------------------------------------------------------
// Text runs split by font

/**
 * OpenType features for every layout: the defaults minus "ccmp". With ccmp these fonts decompose
 * some precomposed letters (e.g. "ị" into "i" + a combining dot below), and pdfkit maps a glyph to
 * the code points of its first use (fontkit caches glyphs per font, shared here across documents),
 * so the extracted text would be wrong and could depend on what the process rendered before.
 * Without ccmp (and with NFC text) each glyph comes from one code point or one ligature. pdfkit's
 * typings only know the array form; fontkit (which receives it) also takes { feature: boolean }.
 */
const FEATURES = { ccmp: false } as unknown as PDFKit.Mixins.OpenTypeFeatures[];

interface Segment {
  font: FontName;
  text: string;
  /** Advance width at 1pt (pdfkit widths are linear in the font size). */
  width: number;
}

interface Run {
  segments: Segment[];
  width: number;
}

/** (font, text) -> width at 1pt. A pure function of the fonts, so shared by all documents. */
const widthCache = new Map<string, number>();
const WIDTH_CACHE_LIMIT = 5_000;

function widthAt1pt(font: FontName, text: string): number {
  const key = `${font}\u0000${text}`;
  let width = widthCache.get(key);
  if (width === undefined) {
    width = shared().scratch.font(font).fontSize(1).widthOfString(text, { features: FEATURES });
    if (widthCache.size >= WIDTH_CACHE_LIMIT) widthCache.clear();
    widthCache.set(key, width);
  }
  return width;
}

/** Splits `text` into runs that one subset file can draw; neutral characters stay in the current run. */
function shape(text: string, weight: Weight): Run {
  const segments: Segment[] = [];
  let width = 0;
  let current: Subset | undefined;
  let run = '';
  const flush = (): void => {
    if (!run) return;
    const font = fontName(weight, current ?? FALLBACK_SUBSET);
    const w = widthAt1pt(font, run);
    segments.push({ font, text: run, width: w });
    width += w;
    run = '';
  };
  for (const char of text) {
    const codePoint = char.codePointAt(0) ?? 0;
    let subset: Subset;
    if (current !== undefined && covers(weight, current, codePoint)) {
      subset = current; // spaces, punctuation, combining marks: keep the run going
    } else {
      subset = coveringSubset(weight, codePoint) ?? FALLBACK_SUBSET;
    }
    if (subset !== current) flush();
    current = subset;
    run += char;
  }
  flush();
  return { segments, width };
}

// ---------------------------------------------------------------------------------------------
// Fitting text into a box: shrink, then wrap, then truncate with an ellipsis

interface FitSpec {
  weight: Weight;
  maxSize: number;
  minSize: number;
  maxLines: number;
  width: number;
}

interface FittedText {
  size: number;
  lines: Run[];
}

const ELLIPSIS = '\u2026';
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Trims, collapses whitespace runs (incl. newlines) to one space, drops control characters, NFC. */
function normalizeText(text: string): string {
  return (
    text
      .normalize('NFC')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000e-\u001f\u007f-\u009f]/g, '')
      .replace(/\s+/gu, ' ')
      .trim()
  );
}

function fitText(raw: string, spec: FitSpec): FittedText {
  const text = normalizeText(raw);
  const measure = (s: string): number => shape(s, spec.weight).width;

  // 1. One line, shrinking the font size (in 0.5pt steps) down to minSize.
  const whole = shape(text, spec.weight);
  const fitting = whole.width > 0 ? Math.floor((spec.width / whole.width) * 2) / 2 : spec.maxSize;
  if (fitting >= spec.minSize) return { size: Math.min(spec.maxSize, fitting), lines: [whole] };

  // 2. Wrap at minSize: greedy by words; words wider than a line are broken between graphemes.
  const size = spec.minSize;
  const maxWidth = spec.width / size;
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    const candidate = current ? `${current} ${word}` : word;
    if (measure(candidate) <= maxWidth) {
      current = candidate;
      continue;
    }
    if (current) lines.push(current);
    current = '';
    if (measure(word) <= maxWidth) {
      current = word;
      continue;
    }
    for (const { segment: g } of graphemes.segment(word)) {
      if (current && measure(current + g) > maxWidth) {
        lines.push(current);
        current = '';
      }
      current += g;
    }
  }
  if (current) lines.push(current);

  // 3. Too many lines: the last line takes the rest of the text, cut with an ellipsis.
  if (lines.length > spec.maxLines) {
    const rest = lines.slice(spec.maxLines - 1).join(' ');
    lines.length = spec.maxLines - 1;
    lines.push(truncate(rest, maxWidth, measure));
  }
  return { size, lines: lines.map((l) => shape(l, spec.weight)) };
}

/** Longest grapheme prefix of `text` that fits with an ellipsis appended. */
function truncate(text: string, maxWidth: number, measure: (s: string) => number): string {
  const parts = Array.from(graphemes.segment(text), (g) => g.segment);
  const withEllipsis = (n: number): string => `${parts.slice(0, n).join('').trimEnd()}${ELLIPSIS}`;
  let lo = 0;
  let hi = parts.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(withEllipsis(mid)) <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return withEllipsis(lo);
}

// ---------------------------------------------------------------------------------------------
// Layout

const PAGE_WIDTH = 841.89; // A4 landscape, points
const PAGE_HEIGHT = 595.28;
const CENTER_X = PAGE_WIDTH / 2;
const CONTENT_MARGIN = 72;
const CONTENT_WIDTH = PAGE_WIDTH - 2 * CONTENT_MARGIN;
const LINE_HEIGHT = 1.3; // times the font size
/** Noto Sans (ascender - descender) / em: (1069 + 293) / 1000. pdfkit puts the ascender at y. */
const GLYPH_BOX = 1.362;

const INK = '#1f2a44';
const MUTED = '#5b6478';
const ACCENT = '#b08d57';

interface Box {
  centerX: number;
  top: number;
  height: number;
}

/** Draws fitted text centred horizontally and vertically in `box`; returns the lines' bounding box. */
function drawFitted(
  doc: PDFKit.PDFDocument,
  fitted: FittedText,
  box: Box,
  color: string,
): { x: number; y: number; width: number; height: number } {
  const lineHeight = fitted.size * LINE_HEIGHT;
  const blockHeight = fitted.lines.length * lineHeight;
  const top = box.top + (box.height - blockHeight) / 2;
  let maxWidth = 0;
  doc.fillColor(color);
  fitted.lines.forEach((line, i) => {
    // Centre the font's glyph box (ascender to descender) within the line height.
    const y = top + i * lineHeight + (lineHeight - fitted.size * GLYPH_BOX) / 2;
    const lineWidth = line.width * fitted.size;
    let x = box.centerX - lineWidth / 2;
    for (const s of line.segments) {
      doc.font(s.font).fontSize(fitted.size).text(s.text, x, y, { lineBreak: false, features: FEATURES });
      x += s.width * fitted.size;
    }
    maxWidth = Math.max(maxWidth, lineWidth);
  });
  return { x: box.centerX - maxWidth / 2, y: top, width: maxWidth, height: blockHeight };
}

function drawText(
  doc: PDFKit.PDFDocument,
  text: string,
  spec: FitSpec,
  box: Box,
  color: string,
): ReturnType<typeof drawFitted> {
  return drawFitted(doc, fitText(text, spec), box, color);
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** "1 December 2026" (UTC). */
export function formatCompletionDate(date: Date): string {
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

/** QR code as filled vector rectangles (one per horizontal run of dark modules), black on white. */
function drawQrCode(doc: PDFKit.PDFDocument, url: string, x: number, y: number, size: number): void {
  const { modules } = QRCode.create(url, { errorCorrectionLevel: 'M' });
  const quietZone = 4;
  const n = modules.size;
  const module = size / (n + 2 * quietZone);
  doc.save();
  doc.rect(x, y, size, size).fill('#ffffff');
  const originX = x + quietZone * module;
  const originY = y + quietZone * module;
  for (let row = 0; row < n; row++) {
    let col = 0;
    while (col < n) {
      if (!modules.data[row * n + col]) {
        col++;
        continue;
      }
      const start = col;
      while (col < n && modules.data[row * n + col]) col++;
      doc.rect(originX + start * module, originY + row * module, (col - start) * module, module);
    }
  }
  doc.fill('#000000');
  doc.restore();
}

function assertValidDate(date: Date): void {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new TypeError('completionDate must be a valid Date');
  }
}

/**
 * Renders the certificate as a one-page PDF. Deterministic: the same input gives the same bytes
 * (CreationDate is the completion date, document ID derived from the metadata).
 */
export async function renderCertificatePdf(input: CertificatePdfInput): Promise<Buffer> {
  assertValidDate(input.completionDate);
  const date = formatCompletionDate(input.completionDate);
  const studentName = normalizeText(input.studentName);

  const doc = new PDFDocument({
    size: 'A4',
    layout: 'landscape',
    margin: 0,
    font: '', // no default font (pdfkit would load Helvetica's metrics): every text run sets its own
    lang: 'en',
    displayTitle: true,
    info: {
      Title: `Certificate of Completion: ${studentName}`,
      Subject: normalizeText(input.courseTitle),
      Author: 'LMS',
      Creator: 'LMS',
      Producer: 'LMS',
      Keywords: input.certificateNumber,
      CreationDate: input.completionDate,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  registerFonts(doc);

  // Frame: a heavy outer rule and a fine inner one.
  doc
    .lineWidth(3)
    .rect(20, 20, PAGE_WIDTH - 40, PAGE_HEIGHT - 40)
    .stroke(ACCENT);
  doc
    .lineWidth(0.75)
    .rect(30, 30, PAGE_WIDTH - 60, PAGE_HEIGHT - 60)
    .stroke(ACCENT);

  const full = (top: number, height: number): Box => ({ centerX: CENTER_X, top, height });
  const fixed = (weight: Weight, size: number, width = CONTENT_WIDTH): FitSpec => ({
    weight,
    maxSize: size,
    minSize: Math.min(size, 7),
    maxLines: 2,
    width,
  });

  drawText(doc, 'Certificate of Completion', fixed('bold', 34), full(66, 48), INK);
  doc
    .lineWidth(1.5)
    .moveTo(CENTER_X - 70, 124)
    .lineTo(CENTER_X + 70, 124)
    .stroke(ACCENT);
  drawText(doc, 'This is to certify that', fixed('regular', 13), full(138, 20), MUTED);
  drawText(
    doc,
    studentName,
    { weight: 'bold', maxSize: 34, minSize: 18, maxLines: 2, width: CONTENT_WIDTH },
    full(164, 52),
    INK,
  );
  drawText(doc, 'has successfully completed the course', fixed('regular', 13), full(226, 20), MUTED);
  drawText(
    doc,
    input.courseTitle,
    { weight: 'bold', maxSize: 24, minSize: 13, maxLines: 3, width: CONTENT_WIDTH },
    full(252, 58),
    INK,
  );

  // Lower band: instructor and date over signature rules on the left, the QR code on the right.
  const qrSize = 118;
  const qrX = PAGE_WIDTH - CONTENT_MARGIN - qrSize;
  const qrY = 370;
  const leftWidth = qrX - 24 - CONTENT_MARGIN;
  const leftCenter = CONTENT_MARGIN + leftWidth / 2;
  const columnWidth = (leftWidth - 40) / 2;
  const columns: [string, string, number][] = [
    [input.instructorName, 'Instructor', CONTENT_MARGIN + columnWidth / 2],
    [date, 'Date of completion', CONTENT_MARGIN + columnWidth + 40 + columnWidth / 2],
  ];
  const ruleY = 420;
  for (const [value, label, centerX] of columns) {
    drawText(
      doc,
      value,
      { weight: 'bold', maxSize: 15, minSize: 9, maxLines: 2, width: columnWidth },
      { centerX, top: ruleY - 44, height: 40 },
      INK,
    );
    doc
      .lineWidth(0.75)
      .moveTo(centerX - columnWidth / 2, ruleY)
      .lineTo(centerX + columnWidth / 2, ruleY)
      .stroke(MUTED);
    drawText(doc, label, fixed('regular', 10, columnWidth), { centerX, top: ruleY + 4, height: 14 }, MUTED);
  }

  const numberLine = `Certificate No. ${normalizeText(input.certificateNumber)}`;
  drawText(doc, numberLine, fixed('regular', 10, leftWidth), { centerX: leftCenter, top: 452, height: 14 }, MUTED);
  const urlBox = drawText(
    doc,
    input.verificationUrl,
    { weight: 'regular', maxSize: 10, minSize: 7, maxLines: 2, width: leftWidth },
    { centerX: leftCenter, top: 468, height: 24 },
    INK,
  );
  doc.link(urlBox.x, urlBox.y, urlBox.width, urlBox.height, input.verificationUrl);

  drawQrCode(doc, input.verificationUrl, qrX, qrY, qrSize);
  doc.link(qrX, qrY, qrSize, qrSize, input.verificationUrl);
  drawText(
    doc,
    'Scan to verify',
    fixed('regular', 8, qrSize),
    { centerX: qrX + qrSize / 2, top: qrY + qrSize, height: 12 },
    MUTED,
  );

  doc.end();
  return done;
}
