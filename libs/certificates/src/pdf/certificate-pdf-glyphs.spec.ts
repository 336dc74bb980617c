// In a file of its own: the fonts are parsed once per module registry (jest: per test file), and the
// case needs a process whose first certificate meets "α" only inside the composite glyph "ά".
import { describe, expect, it } from '@jest/globals';
import { renderCertificatePdf } from './certificate-pdf.js';

async function text(pdf: Buffer): Promise<string> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({ data: new Uint8Array(pdf), isEvalSupported: false, verbosity: 0 }).promise;
  try {
    const content = await (await doc.getPage(1)).getTextContent();
    return content.items.map((item) => ('str' in item ? item.str : '')).join(' ');
  } finally {
    await doc.destroy();
  }
}

describe('renderCertificatePdf and shared font caches', () => {
  it('extracts "α" correctly after an earlier certificate only used it as a component of "ά"', async () => {
    const base = {
      instructorName: 'Dr. Ada',
      completionDate: new Date('2026-11-30T09:30:00Z'),
      certificateNumber: 'CERT-20261130-ABCDEF',
      verificationUrl: 'https://lms.example.com/certificates/verify/CERT-20261130-ABCDEF',
    };
    await renderCertificatePdf({ ...base, studentName: 'Zoë', courseTitle: 'Ελληνικά' });
    const pdf = await renderCertificatePdf({ ...base, studentName: 'Αλέξανδρος Παπαδόπουλος', courseTitle: 'Course' });
    expect(await text(pdf)).toContain('Αλέξανδρος Παπαδόπουλος');
  });
});
