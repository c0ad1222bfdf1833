/**
 * Media items of messages, each with its own id (the Compatibility API's Media subresource).
 * The message keeps the list of URLs it was sent with; items can be deleted on their own.
 */

export interface MessageMediaRecord {
  readonly id: string;
  readonly projectId: string;
  readonly messageId: string;
  /** Position in the message's media list. */
  readonly position: number;
  readonly url: string;
  readonly contentType: string;
  readonly createdAt: number;
}

const TYPES: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', bmp: 'image/bmp', webp: 'image/webp',
  mp4: 'video/mp4', mpeg: 'video/mpeg', mpg: 'video/mpeg', mov: 'video/quicktime', '3gp': 'video/3gpp',
  mp3: 'audio/mpeg', m4a: 'audio/mp4', ogg: 'audio/ogg', wav: 'audio/vnd.wav', amr: 'audio/amr', mid: 'audio/midi',
  txt: 'text/plain', ics: 'text/calendar', vcf: 'text/vcard', vcard: 'text/vcard', pdf: 'application/pdf',
};

/**
 * The content type of a media URL, judged by its file extension: Switchboard does not download
 * media, so this is what the name says, and `application/octet-stream` when it says nothing.
 */
export function contentTypeOfUrl(url: string): string {
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // Not a URL: judge the text as it is.
  }
  const dot = path.lastIndexOf('.');
  const ext = dot >= 0 ? path.slice(dot + 1).toLowerCase() : '';
  return TYPES[ext] ?? 'application/octet-stream';
}

/** Media rows for a stored message's URLs. */
export function mediaRecordsFor(
  message: { readonly id: string; readonly projectId: string; readonly media: readonly string[]; readonly createdAt: number },
  newId: () => string,
): MessageMediaRecord[] {
  return message.media.map((url, position) => ({ id: newId(), projectId: message.projectId, messageId: message.id, position, url, contentType: contentTypeOfUrl(url), createdAt: message.createdAt }));
}
