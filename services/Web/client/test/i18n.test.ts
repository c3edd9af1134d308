import { describe, expect, it } from 'vitest';
import { languageOf, wordsFor } from '../src/chat/i18n';

describe('the widget language', () => {
  it('is Chinese for any zh tag and English otherwise', () => {
    expect(languageOf({ languages: ['zh-CN', 'en'] })).toBe('zh');
    expect(languageOf({ language: 'zh-TW' })).toBe('zh');
    expect(languageOf({ languages: ['en-GB'] })).toBe('en');
    expect(languageOf({ languages: ['de'] })).toBe('en');
    expect(wordsFor('zh').send).toBe('发送');
    expect(wordsFor('en').queued(3)).toBe('You are number 3 in the queue');
  });
});
