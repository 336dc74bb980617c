// Real PDFs, parsed back with pdfjs-dist (text, annotations, metadata, drawing operators); the QR
// code is rasterised from the PDF's own filled paths and decoded with jsQR. No mocks.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import jsQRModule from 'jsqr';
import { type CertificatePdfInput, formatCompletionDate, renderCertificatePdf } from './certificate-pdf.js';

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
type PdfDocument = Awaited<ReturnType<PdfJs['getDocument']>['promise']>;
type PdfPage = Awaited<ReturnType<PdfDocument['getPage']>>;
type Matrix = [number, number, number, number, number, number];

// jsqr is CommonJS and its module.exports is the function, but its typings say `export default`,
// which TypeScript (NodeNext) reads as a property of the CommonJS module object.
type JsQR = typeof jsQRModule.default;
const jsQR = (typeof jsQRModule === 'function' ? jsQRModule : jsQRModule.default) as JsQR;

let pdfjs: PdfJs;
const opened: PdfDocument[] = [];

beforeAll(async () => {
  pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
});

afterAll(async () => {
  await Promise.all(opened.map((doc) => doc.destroy()));
});

const baseInput: CertificatePdfInput = {
  studentName: 'Zoë Ångström-Nuñez',
  courseTitle: 'Advanced Distributed Systems: Consensus and Replication',
  instructorName: 'Dr. Margaret Hamilton',
  completionDate: new Date('2026-12-01T10:15:00Z'),
  certificateNumber: 'CERT-20261201-A1B2C3',
  verificationUrl: 'https://lms.example.com/certificates/verify/CERT-20261201-A1B2C3',
};

async function open(pdf: Buffer): Promise<{ doc: PdfDocument; page: PdfPage }> {
  const doc = await pdfjs.getDocument({
    data: new Uint8Array(pdf),
    isEvalSupported: false,
    useSystemFonts: false,
    disableFontFace: true,
    verbosity: 0,
  }).promise;
  opened.push(doc);
  return { doc, page: await doc.getPage(1) };
}

interface PlacedText {
  str: string;
  x: number;
  y: number;
  width: number;
  size: number;
}

async function textItems(page: PdfPage): Promise<{ items: PlacedText[]; text: string }> {
  const content = await page.getTextContent();
  const items: PlacedText[] = [];
  let text = '';
  for (const item of content.items) {
    if (!('str' in item)) continue;
    // Runs in different subset fonts are separate items: join them as they are, break at line ends.
    text += item.str + (item.hasEOL ? '\n' : '');
    if (item.str.length > 0) {
      const [a, b, , , x, y] = item.transform as number[];
      items.push({ str: item.str, x, y, width: item.width, size: Math.hypot(a, b) });
    }
  }
  return { items, text: squash(text) };
}

const squash = (s: string): string => s.replace(/\s+/g, ' ').trim();

async function expectFields(pdf: Buffer, input: CertificatePdfInput, fields = fieldsOf(input)): Promise<string> {
  const { page } = await open(pdf);
  const { text } = await textItems(page);
  for (const field of fields) expect(text).toContain(squash(field));
  return text;
}

const fieldsOf = (input: CertificatePdfInput): string[] => [
  'Certificate of Completion',
  input.studentName,
  input.courseTitle,
  input.instructorName,
  formatCompletionDate(input.completionDate),
  input.certificateNumber,
  input.verificationUrl,
];

// ---------------------------------------------------------------------------------------------
// Minimal rasteriser: filled, axis-aligned rectangles of the page's operator list (what the QR
// code is made of), painted at `scale` pixels per point onto a white RGBA bitmap.

const multiply = (m: Matrix, n: Matrix): Matrix => [
  m[0] * n[0] + m[2] * n[1],
  m[1] * n[0] + m[3] * n[1],
  m[0] * n[2] + m[2] * n[3],
  m[1] * n[2] + m[3] * n[3],
  m[0] * n[4] + m[2] * n[5] + m[4],
  m[1] * n[4] + m[3] * n[5] + m[5],
];
const apply = (m: Matrix, x: number, y: number): [number, number] => [
  m[0] * x + m[2] * y + m[4],
  m[1] * x + m[3] * y + m[5],
];

function parseHexColor(hex: string): [number, number, number] {
  const v = Number.parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

async function rasteriseFilledRects(
  page: PdfPage,
  scale: number,
): Promise<{ data: Uint8ClampedArray; width: number; height: number; rects: number }> {
  const { OPS } = pdfjs;
  const viewport = page.getViewport({ scale });
  const width = Math.ceil(viewport.width);
  const height = Math.ceil(viewport.height);
  const data = new Uint8ClampedArray(width * height * 4).fill(255);
  const list = await page.getOperatorList();
  const fillOps = new Set<number>([
    OPS.fill,
    OPS.eoFill,
    OPS.fillStroke,
    OPS.eoFillStroke,
    OPS.closeFillStroke,
    OPS.closeEOFillStroke,
  ]);
  // DrawOPS codes in constructPath buffers (pdfjs 5): moveTo 0, lineTo 1, curveTo 2, closePath 4.
  const MOVE_TO = 0;
  const LINE_TO = 1;
  const CURVE_TO = 2;
  const QUAD_TO = 3;

  let ctm = viewport.transform as Matrix;
  let fill: [number, number, number] = [0, 0, 0];
  const stack: { ctm: Matrix; fill: [number, number, number] }[] = [];
  let rects = 0;

  const paint = (points: [number, number][], color: [number, number, number]): void => {
    const xs = points.map((p) => p[0]);
    const ys = points.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const axisAligned = points.every(
      ([x, y]) =>
        (Math.abs(x - x0) < 1e-3 || Math.abs(x - x1) < 1e-3) && (Math.abs(y - y0) < 1e-3 || Math.abs(y - y1) < 1e-3),
    );
    if (points.length !== 4 || !axisAligned) return;
    rects++;
    // Pixels whose centre lies inside the rectangle.
    for (let py = Math.max(0, Math.ceil(y0 - 0.5)); py < Math.min(height, Math.ceil(y1 - 0.5)); py++) {
      for (let px = Math.max(0, Math.ceil(x0 - 0.5)); px < Math.min(width, Math.ceil(x1 - 0.5)); px++) {
        const i = (py * width + px) * 4;
        [data[i], data[i + 1], data[i + 2]] = color;
        data[i + 3] = 255;
      }
    }
  };

  list.fnArray.forEach((fn, index) => {
    const args: unknown = list.argsArray[index];
    if (fn === OPS.save) stack.push({ ctm, fill });
    else if (fn === OPS.restore) ({ ctm, fill } = stack.pop() ?? { ctm, fill });
    else if (fn === OPS.transform) ctm = multiply(ctm, args as Matrix);
    else if (fn === OPS.setFillRGBColor) {
      const [color] = args as [string | number[]];
      fill = typeof color === 'string' ? parseHexColor(color) : [color[0], color[1], color[2]];
    } else if (fn === OPS.constructPath) {
      const [paintOp, [buffer]] = args as [number, [Float32Array | null]];
      if (!fillOps.has(paintOp) || !buffer) return;
      let points: [number, number][] = [];
      for (let k = 0; k < buffer.length;) {
        const op = buffer[k++];
        if (op === MOVE_TO || op === LINE_TO) {
          if (op === MOVE_TO && points.length) paint(points, fill);
          if (op === MOVE_TO) points = [];
          points.push(apply(ctm, buffer[k], buffer[k + 1]));
          k += 2;
        } else if (op === CURVE_TO) {
          points.push([Number.NaN, Number.NaN]); // not a rectangle
          k += 6;
        } else if (op === QUAD_TO) {
          points.push([Number.NaN, Number.NaN]);
          k += 4;
        } else {
          paint(points, fill); // closePath
          points = [];
        }
      }
      if (points.length) paint(points, fill);
    }
  });
  return { data, width, height, rects };
}

async function decodeQr(pdf: Buffer): Promise<string | undefined> {
  const { page } = await open(pdf);
  const { data, width, height, rects } = await rasteriseFilledRects(page, 2);
  expect(rects).toBeGreaterThan(20);
  return jsQR(data, width, height, { inversionAttempts: 'dontInvert' })?.data;
}

// ---------------------------------------------------------------------------------------------

describe('renderCertificatePdf', () => {
  it('renders a one-page landscape A4 PDF with every field as extractable text', async () => {
    const pdf = await renderCertificatePdf(baseInput);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const { doc, page } = await open(pdf);
    expect(doc.numPages).toBe(1);
    const [, , w, h] = page.view;
    expect(w).toBeCloseTo(841.89, 1);
    expect(h).toBeCloseTo(595.28, 1);
    await expectFields(pdf, baseInput);
    expect(formatCompletionDate(baseInput.completionDate)).toBe('1 December 2026');
  });

  it.each([
    ['Latin diacritics', 'Zoë Ångström-Nuñez'],
    ['Latin Extended (Polish)', 'Łukasz Żółć'],
    ['Vietnamese', 'Nguyễn Thị Phương'],
    ['Greek', 'Αλέξανδρος Παπαδόπουλος'],
    ['Cyrillic', 'Анна Каренина'],
    ['Cyrillic Extended (Ukrainian, Serbian)', 'Ґалина Їжакевич Ђорђе'],
  ])('embeds fonts that cover %s names', async (_script, studentName) => {
    const input = {
      ...baseInput,
      studentName,
      instructorName: 'Ἀριστοτέλης Σταγειρίτης', // polytonic Greek (greek-ext)
      courseTitle: 'Основы программирования — Ελληνικά — Podstawy programowania',
    };
    const pdf = await renderCertificatePdf(input);
    await expectFields(pdf, input);
  });

  it('normalises decomposed characters and whitespace in the rendered text', async () => {
    const input = { ...baseInput, studentName: '  Zoe\u0308   Ångström\n' };
    const text = await expectFields(await renderCertificatePdf(input), input, ['Zoë Ångström']);
    expect(text).not.toContain('Zoe\u0308');
  });

  it('renders the completion date in UTC, in English', () => {
    expect(formatCompletionDate(new Date('2026-12-01T23:59:59Z'))).toBe('1 December 2026');
    expect(formatCompletionDate(new Date('2027-01-31T00:00:00-05:00'))).toBe('31 January 2027');
    expect(formatCompletionDate(new Date('2026-06-09T00:00:00Z'))).toBe('9 June 2026');
  });

  it('still renders names in scripts the fonts do not cover, with the other fields intact', async () => {
    for (const studentName of ['王小明', 'محمد بن سلمان', 'Mia 王 😀']) {
      const input = { ...baseInput, studentName };
      const pdf = await renderCertificatePdf(input);
      const { doc } = await open(pdf);
      expect(doc.numPages).toBe(1);
      const fields = fieldsOf(input).filter((f) => f !== studentName);
      await expectFields(pdf, input, fields);
    }
  });

  it('draws a QR code (vector rectangles) that decodes to the verification URL', async () => {
    for (const verificationUrl of [
      baseInput.verificationUrl,
      'https://lms.example.com/v/CERT-20270115-ZZ9Z9Z?utm_source=certificate&lang=en',
    ]) {
      const pdf = await renderCertificatePdf({ ...baseInput, verificationUrl });
      expect(await decodeQr(pdf)).toBe(verificationUrl);
    }
  });

  it('links the verification URL', async () => {
    const { page } = await open(await renderCertificatePdf(baseInput));
    const annotations = (await page.getAnnotations()) as { subtype: string; url?: string }[];
    const links = annotations.filter((a) => a.subtype === 'Link');
    expect(links.length).toBeGreaterThanOrEqual(1);
    for (const link of links) expect(link.url).toBe(baseInput.verificationUrl);
  });

  it('sets the document metadata', async () => {
    const { doc } = await open(await renderCertificatePdf(baseInput));
    const { info } = (await doc.getMetadata()) as unknown as { info: Record<string, unknown> };
    expect(info).toMatchObject({
      Title: `Certificate of Completion: ${baseInput.studentName}`,
      Author: 'LMS',
      Creator: 'LMS',
      CreationDate: 'D:20261201101500Z',
    });
  });

  it('keeps very long names, titles and URLs inside the page (shrink, wrap, then ellipsis)', async () => {
    const words = ['Maximilian', 'Alexander', 'Konstantin', 'von', 'Hohenzollern-Sigmaringen', 'Łukasz', 'Παύλος'];
    const phrase = (n: number): string => {
      let s = '';
      for (let i = 0; s.length < n; i++) s += `${words[i % words.length]} `;
      return s.slice(0, n);
    };
    const cases: Partial<CertificatePdfInput>[] = [
      { studentName: phrase(300), courseTitle: phrase(400) },
      {
        studentName: 'W'.repeat(300), // no break opportunities at all
        courseTitle: 'M'.repeat(400),
        instructorName: 'Анна'.repeat(50),
        verificationUrl: `https://lms.example.com/verify/${'a'.repeat(300)}`,
      },
    ];
    for (const overrides of cases) {
      const input = { ...baseInput, ...overrides };
      const pdf = await renderCertificatePdf(input);
      const { doc, page } = await open(pdf);
      expect(doc.numPages).toBe(1);
      const [, , pageWidth, pageHeight] = page.view;
      const { items, text } = await textItems(page);
      expect(text).toContain('…'); // truncated, not overflowing
      expect(text).toContain(input.certificateNumber);
      for (const item of items) {
        // Inside the frame (inner border 30pt from the edges), so a fortiori inside the page.
        expect(item.x).toBeGreaterThanOrEqual(30);
        expect(item.x + item.width).toBeLessThanOrEqual(pageWidth - 30);
        expect(item.y - 0.3 * item.size).toBeGreaterThanOrEqual(30);
        expect(item.y + item.size).toBeLessThanOrEqual(pageHeight - 30);
      }
      // The name takes at most 2 lines and the course title at most 3: count the distinct
      // baselines between the fixed captions around them (y grows upwards in PDF space).
      const captionY = (caption: string): number => {
        const item = items.find((i) => i.str === caption);
        if (!item) throw new Error(`caption not found: ${caption}`);
        return item.y;
      };
      const linesBetween = (above: number, below: number): number =>
        new Set(items.filter((i) => i.y < above && i.y > below).map((i) => i.y.toFixed(1))).size;
      const certify = captionY('This is to certify that');
      const completed = captionY('has successfully completed the course');
      // The instructor/date values sit less than 50pt above their captions.
      const signatures = captionY('Instructor') + 50;
      expect(linesBetween(certify, completed)).toBe(2);
      expect(linesBetween(completed, signatures)).toBe(3);
      expect(await decodeQr(pdf)).toBe(input.verificationUrl);
    }
  });

  it('is deterministic: the same input gives the same bytes, also when rendered concurrently', async () => {
    const first = await renderCertificatePdf(baseInput);
    const other = { ...baseInput, studentName: 'Анна Каренина', certificateNumber: 'CERT-20261201-ZZZZZZ' };
    const [again, otherPdf, third] = await Promise.all([
      renderCertificatePdf(baseInput),
      renderCertificatePdf(other),
      renderCertificatePdf(baseInput),
    ]);
    expect(again.equals(first)).toBe(true);
    expect(third.equals(first)).toBe(true);
    expect(otherPdf.equals(first)).toBe(false);
    expect((await renderCertificatePdf(other)).equals(otherPdf)).toBe(true);
  });

  it('gives the same bytes whatever the process rendered before (shared font caches)', async () => {
    const input = { ...baseInput, studentName: 'Nguyễn Thị Phương', courseTitle: 'Ἀρχαῖα — Effizienz' };
    const before = await renderCertificatePdf(input);
    // Combining marks, decomposable letters and ligature code points touch the same glyphs.
    for (const text of ['i\u0323 \u0323 n\u0300 ǹ ṅ', 'ﬁ ﬂ ﬃ fi', 'ἀ ὦ α\u0313']) {
      await renderCertificatePdf({ ...input, studentName: text, courseTitle: text });
    }
    expect((await renderCertificatePdf(input)).equals(before)).toBe(true);
    await expectFields(before, input);
  });

  it('rejects an invalid completion date', async () => {
    await expect(renderCertificatePdf({ ...baseInput, completionDate: new Date('nope') })).rejects.toThrow(TypeError);
  });
});
