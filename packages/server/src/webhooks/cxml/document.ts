/**
 * cXML (LaML/TwiML) messaging documents (rest-apis §B.9): the answer of an inbound-message or
 * action webhook. `<Response>` holds `<Message>` (plain text, or `<Body>`/`<Media>` nouns; `to`,
 * `from`, `action`, `method`, `statusCallback`) and `<Redirect>` verbs, executed in order. Names
 * are case-sensitive. An empty answer means "do nothing", as do `<Response/>` and
 * `<Response></Response>`. Anything else is a parse error (12100).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export type CxmlMethod = 'GET' | 'POST';

/** Send a message (a reply unless `to` says otherwise). */
export interface MessageVerb {
  readonly verb: 'Message';
  readonly to: string | null;
  readonly from: string | null;
  readonly body: string;
  readonly media: readonly string[];
  /** Requested once the message is sent or failed; its answer is executed in turn. */
  readonly action: string | null;
  readonly method: CxmlMethod;
  /** Twilio's legacy attribute: a status-callback URL for the message. */
  readonly statusCallback: string | null;
}

/** Fetch another document and execute it instead of the rest of this one. */
export interface RedirectVerb {
  readonly verb: 'Redirect';
  readonly url: string;
  readonly method: CxmlMethod;
}

export type CxmlVerb = MessageVerb | RedirectVerb;

export type ParsedCxml = { readonly ok: true; readonly verbs: readonly CxmlVerb[] } | { readonly ok: false; readonly error: string };

type Node = Record<string, unknown> & { ':@'?: Record<string, string> };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  // Character references (`&#233;`, `&#x1F600;`) are XML: Python's ElementTree, which older
  // twilio / signalwire MessagingResponse builders serialize with, writes every non-ASCII character
  // so. This also decodes HTML's named entities (`&nbsp;`), which strict XML would refuse.
  htmlEntities: true,
});

function nameOf(node: Node): string {
  return Object.keys(node).find((k) => k !== ':@') ?? '';
}

function childrenOf(node: Node): Node[] {
  const c = node[nameOf(node)];
  return Array.isArray(c) ? (c as Node[]) : [];
}

function textOf(nodes: readonly Node[]): string {
  return nodes.map((n) => (typeof n['#text'] === 'string' ? n['#text'] : '')).join('');
}

function methodOf(raw: string | undefined, where: string): CxmlMethod {
  if (raw === undefined || raw === '') return 'POST';
  const m = raw.toUpperCase();
  if (m !== 'GET' && m !== 'POST') throw new Error(`${where} method must be GET or POST, not ${JSON.stringify(raw)}`);
  return m;
}

function messageVerb(node: Node): MessageVerb {
  const attrs = node[':@'] ?? {};
  const children = childrenOf(node);
  const bodies: string[] = [];
  const media: string[] = [];
  let text = '';
  for (const child of children) {
    const name = nameOf(child);
    if (name === '#text') text += child['#text'] as string;
    else if (name === 'Body') bodies.push(textOf(childrenOf(child)).trim());
    else if (name === 'Media') media.push(textOf(childrenOf(child)).trim());
    else if (name === '#comment') continue;
    else throw new Error(`<${name}> is not allowed inside <Message> (only text, <Body> and <Media>)`);
  }
  return {
    verb: 'Message',
    to: attrs.to?.trim() || null,
    from: attrs.from?.trim() || null,
    body: bodies.length ? bodies.join('') : text.trim(),
    media,
    action: attrs.action?.trim() || null,
    method: methodOf(attrs.method, '<Message>'),
    statusCallback: attrs.statusCallback?.trim() || null,
  };
}

/** Parse a document; never throws. */
export function parseCxml(text: string): ParsedCxml {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: true, verbs: [] };
  // No DTDs: they add nothing to cXML and are the door to entity-expansion attacks.
  if (/<!DOCTYPE/i.test(trimmed)) return { ok: false, error: 'DOCTYPE declarations are not allowed in cXML' };
  const valid = XMLValidator.validate(trimmed);
  if (valid !== true) return { ok: false, error: `not well-formed XML: ${valid.err.msg} (line ${valid.err.line})` };
  try {
    const top = (parser.parse(trimmed) as Node[]).filter((n) => !['?xml', '#comment', '#text'].includes(nameOf(n)) || (nameOf(n) === '#text' && String(n['#text']).trim() !== ''));
    if (top.length !== 1 || nameOf(top[0]!) !== 'Response') {
      return { ok: false, error: `the root element must be <Response>, found ${top.map((n) => `<${nameOf(n)}>`).join(', ') || 'nothing'}` };
    }
    const verbs: CxmlVerb[] = [];
    for (const child of childrenOf(top[0]!)) {
      const name = nameOf(child);
      if (name === '#comment' || (name === '#text' && String(child['#text']).trim() === '')) continue;
      if (name === 'Message') verbs.push(messageVerb(child));
      else if (name === 'Redirect') {
        const url = textOf(childrenOf(child)).trim();
        if (!url) throw new Error('<Redirect> needs a URL');
        verbs.push({ verb: 'Redirect', url, method: methodOf(child[':@']?.method, '<Redirect>') });
      } else if (name === '#text') throw new Error('text is not allowed directly inside <Response>');
      else throw new Error(`<${name}> is not a messaging verb (use <Message> or <Redirect>; names are case-sensitive)`);
    }
    return { ok: true, verbs };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
