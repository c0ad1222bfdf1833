import { describe, expect, it } from 'vitest';
import { parseCxml } from './document.js';

describe('parseCxml', () => {
  it('decodes character references, as Python ElementTree writes non-ASCII text, but not inside CDATA', () => {
    const doc = '<Response><Message to="+1555&#55;654321">caf&#233; &#128512; &#x41;&amp;#65; <![CDATA[&#65;]]></Message></Response>';
    expect(parseCxml(doc)).toMatchObject({ ok: true, verbs: [{ verb: 'Message', to: '+15557654321', body: 'café 😀 A&#65; &#65;' }] });
  });

  it('treats empty answers and empty <Response> documents as "do nothing"', () => {
    for (const text of ['', '  \n', '<Response/>', '<Response></Response>', '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n</Response>']) {
      expect(parseCxml(text)).toEqual({ ok: true, verbs: [] });
    }
  });

  it('reads <Message> text, attributes, <Body> and <Media> nouns, in order', () => {
    const doc = `<?xml version="1.0" encoding="UTF-8"?>
      <Response>
        <Message>  Hello &amp; welcome  </Message>
        <Message to="+15557654321" from="+15551234567" action="https://app.example/followup" method="get" statusCallback="/s">
          <Body>Your photo</Body><Body>, twice</Body>
          <Media>https://cdn.example/a.jpg</Media>
          <Media> https://cdn.example/b.jpg </Media>
        </Message>
        <!-- a comment -->
        <Redirect method="GET">https://app.example/next</Redirect>
      </Response>`;
    expect(parseCxml(doc)).toEqual({
      ok: true,
      verbs: [
        { verb: 'Message', to: null, from: null, body: 'Hello & welcome', media: [], action: null, method: 'POST', statusCallback: null },
        { verb: 'Message', to: '+15557654321', from: '+15551234567', body: 'Your photo, twice', media: ['https://cdn.example/a.jpg', 'https://cdn.example/b.jpg'], action: 'https://app.example/followup', method: 'GET', statusCallback: '/s' },
        { verb: 'Redirect', url: 'https://app.example/next', method: 'GET' },
      ],
    });
  });

  it.each([
    ['not XML', 'Thanks!', /well-formed|root/],
    ['unclosed', '<Response><Message>hi</Response>', /well-formed/],
    ['wrong root', '<Reply><Message>hi</Message></Reply>', /root element must be <Response>/],
    ['lower-case verb', '<Response><message>hi</message></Response>', /not a messaging verb/],
    ['voice verb', '<Response><Say>hi</Say></Response>', /not a messaging verb/],
    ['nested Message', '<Response><Message><Message>hi</Message></Message></Response>', /not allowed inside <Message>/],
    ['bad method', '<Response><Redirect method="PUT">https://x.example</Redirect></Response>', /GET or POST/],
    ['empty Redirect', '<Response><Redirect/></Response>', /needs a URL/],
    ['stray text', '<Response>hello</Response>', /text is not allowed/],
    ['DTD', '<!DOCTYPE r [<!ENTITY a "aaaa">]><Response><Message>&a;</Message></Response>', /DOCTYPE/],
  ])('reports %s as an error', (_name, text, error) => {
    const r = parseCxml(text);
    expect(r.ok).toBe(false);
    expect(r.ok === false && r.error).toMatch(error);
  });
});
