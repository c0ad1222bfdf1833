/** What smart encoding would change in a UCS-2 body (the message's UCS-2 explainer shows it). */
import { analyzeBody, smartEncode } from '@switchboard/protocol';

export function SmartEncodingHint({ body }: { body: string }) {
  const { body: encoded, replaced } = smartEncode(body);
  if (!replaced.length) {
    return <div data-field="smart-encoding">Smart encoding would not help: none of these characters has a GSM-7 look-alike.</div>;
  }
  const after = analyzeBody(encoded);
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
