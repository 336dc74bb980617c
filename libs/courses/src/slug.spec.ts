import { baseSlug, containsPattern, firstFreeSlug, slugify } from './slug.js';

describe('slugify', () => {
  it.each([
    ['  Intro to Python  ', 'intro-to-python'],
    ['C++ & Rust: A -- Tour!', 'c-rust-a-tour'],
    ['--Hello   World--', 'hello-world'],
    ['Ünïcödé', 'ncd'],
    ['日本語', ''],
    ['a_b', 'ab'],
  ])('%j → %j', (input, expected) => {
    expect(slugify(input)).toBe(expected);
  });
});

describe('baseSlug', () => {
  it('falls back when nothing is left and leaves room for a suffix', () => {
    expect(baseSlug('日本語', 255, 'course')).toBe('course');
    const long = baseSlug('word '.repeat(100), 255, 'course');
    expect(long.length).toBeLessThanOrEqual(245);
    expect(long.endsWith('-')).toBe(false);
  });
});

describe('firstFreeSlug', () => {
  it('appends -2, -3, ... to a taken slug', () => {
    expect(firstFreeSlug('intro', [])).toBe('intro');
    expect(firstFreeSlug('intro', ['intro'])).toBe('intro-2');
    expect(firstFreeSlug('intro', ['intro', 'intro-2', 'intro-4'])).toBe('intro-3');
  });
});

describe('containsPattern', () => {
  it('escapes LIKE wildcards and the escape character', () => {
    expect(containsPattern('50%_off\\')).toBe('%50\\%\\_off\\\\%');
    expect(containsPattern('plain')).toBe('%plain%');
  });
});
