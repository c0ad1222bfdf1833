/** What smart encoding would change in a UCS-2 body (the message's UCS-2 explainer shows it). */
import { analyzeBody, MAX_BODY_LENGTH, smartEncode } from '@switchboard/protocol';

export function SmartEncodingHint({ body }: { body: string }) {
  const { body: encoded, replaced } = smartEncode(body);
  if (!replaced.length) {
    return <div data-field="smart-encoding">Smart encoding would not help: none of these characters has a GSM-7 look-alike.</div>;
  }
  // The server sends such a body as given rather than past the limit (opt-outs-settings.ts).
  if (encoded.length > MAX_BODY_LENGTH) {
    return (
      <div data-field="smart-encoding">
        Smart encoding would not apply: replacing these characters would make the body {encoded.length} characters long, past the {MAX_BODY_LENGTH}-character limit, so it is sent as given.
      </div>
    );
  }
  const after = analyzeBody(encoded);
  // Nor a body it would make longer in segments (opt-outs-settings.ts): it is there to save them.
  const before = analyzeBody(body).segments;
  if (after.segments > before) {
    return (
      <div data-field="smart-encoding">
        Smart encoding would not apply: replacing these characters would take {after.segments} segments instead of {before}, so it is sent as given.
      </div>
    );
  }
  return (
    <div data-field="smart-encoding">
      Smart encoding (<code>SmartEncoded=true</code>, or the sender's <code>smart_encoding</code> setting) would replace{' '}
      {replaced.slice(0, 12).map((r) => (
        <span key={r.char} class="char-chip">
          <mark>{r.char}</mark> → {r.replacement === '' ? '(nothing)' : r.replacement === ' ' ? '(space)' : r.replacement}
        </span>
      ))}
      {replaced.length > 12 ? <span class="muted"> and {replaced.length - 12} more</span> : null}: {after.encoding}, {after.segments} segment{after.segments === 1 ? '' : 's'}.
    </div>
  );
}
