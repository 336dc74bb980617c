import { describe, expect, it } from '@jest/globals';
import { ProblemException } from '#core';
import {
  checkExtension,
  checkFolder,
  classifyFile,
  contentDisposition,
  etagMatches,
  extensionOf,
  matchContent,
  parseRange,
  sanitizeOriginalName,
} from './file-rules.js';
import { DownloadSigner } from './signed-url.js';

const detail = (v: unknown): string | undefined => (v instanceof ProblemException ? v.detail : undefined);

describe('file rules', () => {
  it('folders: normalised, or the reference messages', () => {
    expect(checkFolder(undefined)).toBe('uploads');
    expect(checkFolder('  ')).toBe('uploads');
    expect(checkFolder('a\\b_c-1')).toBe('a/b_c-1');
    expect(detail(checkFolder('/a'))).toBe('Invalid folder path');
    expect(detail(checkFolder('a/..'))).toBe('Invalid folder path');
    expect(detail(checkFolder('a/'))).toBe('Folder path contains unsupported characters');
    expect(detail(checkFolder('a.b'))).toBe('Folder path contains unsupported characters');
  });

  it('extensions and names', () => {
    expect(extensionOf('../dir/x.PNG')).toBe('png');
    expect(extensionOf('.bashrc')).toBe('');
    expect(extensionOf('a.tar.gz')).toBe('gz');
    expect(checkExtension('png', ['png'])).toBeUndefined();
    expect(detail(checkExtension('exe', ['png']))).toBe("File extension '.exe' is not allowed");
    expect(sanitizeOriginalName('..\\..\\x.png', 255)).toBe('x.png');
    expect(sanitizeOriginalName('../', 255)).toBe('file');
    expect(sanitizeOriginalName(`${'é'.repeat(300)}.png`, 255)).toBe(`${'é'.repeat(251)}.png`);
  });

  it('classification and sniffing', () => {
    expect(classifyFile('video/mp4', 'mp4')).toBe('video');
    expect(classifyFile('application/pdf', 'pdf')).toBe('document');
    expect(classifyFile('application/zip', 'zip')).toBe('other');
    expect(matchContent('png', { ext: 'png', mime: 'image/png' }, Buffer.alloc(1))).toEqual({
      ok: true,
      mime: 'image/png',
    });
    expect(matchContent('png', { ext: 'pdf', mime: 'application/pdf' }, Buffer.alloc(1)).ok).toBe(false);
    expect(matchContent('png', undefined, Buffer.from('text')).ok).toBe(false);
    expect(matchContent('txt', undefined, Buffer.from('text'))).toEqual({ ok: true, mime: 'text/plain' });
    expect(matchContent('txt', undefined, Buffer.from([0x61, 0]))).toMatchObject({ ok: false });
    expect(matchContent('docx', { ext: 'zip', mime: 'application/zip' }, Buffer.alloc(1)).ok).toBe(true);
  });

  it('Content-Disposition', () => {
    expect(contentDisposition('a.png')).toBe(`attachment; filename="a.png"; filename*=UTF-8''a.png`);
    expect(contentDisposition('日本 "x"\\.pdf')).toBe(
      `attachment; filename="__ _x__.pdf"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%20%22x%22%5C.pdf`,
    );
  });

  it('ranges', () => {
    expect(parseRange(undefined, 10)).toBeUndefined();
    expect(parseRange('bytes=0-3', 10)).toEqual({ start: 0, end: 3 });
    expect(parseRange('bytes=5-', 10)).toEqual({ start: 5, end: 9 });
    expect(parseRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 });
    expect(parseRange('bytes=-30', 10)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=8-100', 10)).toEqual({ start: 8, end: 9 });
    expect(parseRange('bytes=10-', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 10)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1,3-4', 10)).toBeUndefined();
    expect(parseRange('bytes=5-2', 10)).toBeUndefined();
    expect(parseRange('items=0-1', 10)).toBeUndefined();
  });

  it('ETags', () => {
    expect(etagMatches('"a", W/"b"', '"b"')).toBe(true);
    expect(etagMatches('*', '"b"')).toBe(true);
    expect(etagMatches('"c"', '"b"')).toBe(false);
  });

  it('signed download links', () => {
    const signer = new DownloadSigner('secret-one-secret-one');
    const sig = signer.sign('f1', 100);
    expect(signer.verify('f1', 100, sig)).toBe(true);
    expect(signer.verify('f2', 100, sig)).toBe(false);
    expect(signer.verify('f1', 101, sig)).toBe(false);
    expect(signer.verify('f1', 100, `${sig}x`)).toBe(false);
    expect(new DownloadSigner('another-secret-here').verify('f1', 100, sig)).toBe(false);
  });
});
