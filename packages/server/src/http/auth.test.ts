import { describe, expect, it } from 'vitest';
import { parseBasicAuth } from './auth.js';

const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

describe('parseBasicAuth', () => {
  it('reads the project id and token', () => {
    expect(parseBasicAuth(basic('6ad4c839-9329-43fe-83c6-fbe7c38583ff:PTsecret'))).toEqual({ user: '6ad4c839-9329-43fe-83c6-fbe7c38583ff', password: 'PTsecret' });
  });

  it('splits at the first colon, so passwords may contain colons', () => {
    expect(parseBasicAuth(basic('user:pa:ss:word'))).toEqual({ user: 'user', password: 'pa:ss:word' });
  });

  it('allows an empty user or password', () => {
    expect(parseBasicAuth(basic(':token'))).toEqual({ user: '', password: 'token' });
    expect(parseBasicAuth(basic('user:'))).toEqual({ user: 'user', password: '' });
  });

  it('accepts any case of the scheme and surrounding spaces', () => {
    const b64 = Buffer.from('u:p').toString('base64');
    expect(parseBasicAuth(`basic ${b64}`)).toEqual({ user: 'u', password: 'p' });
    expect(parseBasicAuth(`BASIC   ${b64}  `)).toEqual({ user: 'u', password: 'p' });
  });

  it('decodes UTF-8 credentials', () => {
    expect(parseBasicAuth(basic('jörg:pässwörd'))).toEqual({ user: 'jörg', password: 'pässwörd' });
  });

  it.each([undefined, '', 'Bearer abc', 'Basic', 'Basic ', 'Basic !!!!', `Digest ${Buffer.from('u:p').toString('base64')}`, `Basic ${Buffer.from('u:p').toString('base64')} extra`])('refuses %j', (header) => {
    expect(parseBasicAuth(header)).toBeNull();
  });

  it('refuses credentials without a colon', () => {
    expect(parseBasicAuth(basic('justauser'))).toBeNull();
  });

  it('refuses headers longer than 1024 characters', () => {
    // 'Basic ' + 1016 Base64 characters (762 bytes) + two spaces = 1024; one more space is too long.
    const header = `${basic(`u:${'x'.repeat(760)}`)}  `;
    expect(header).toHaveLength(1024);
    expect(parseBasicAuth(header)).not.toBeNull();
    expect(parseBasicAuth(`${header} `)).toBeNull();
  });
});
