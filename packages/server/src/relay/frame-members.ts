/**
 * The members of a frame's top-level JSON object as written, found by walking the text without
 * parsing the values: what `JSON.parse` cannot tell (a number id's digits as sent, a name given
 * twice), and the id of a frame too large or too deep to parse at all.
 */

/** One member of the top-level object: its name (escapes decoded) and its value's source text. */
export interface RawMember {
  readonly name: string;
  readonly value: string;
}

export interface TopLevelMembers {
  /** The members whose value ends in the text, in order. */
  readonly members: RawMember[];
  /** The object closed: every member is listed. False when the text is cut or not well formed. */
  readonly complete: boolean;
}

function skipSpace(t: string, i: number): number {
  while (i < t.length) {
    const c = t.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    i++;
  }
  return i;
}

/** Index just past the string whose opening quote is at `i`, or -1 when it does not end in the text. */
function stringEnd(t: string, i: number): number {
  for (let from = i + 1; ; ) {
    const q = t.indexOf('"', from);
    if (q === -1) return -1;
    let backslashes = 0;
    for (let k = q - 1; t.charCodeAt(k) === 0x5c; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** Index just past the array or object opening at `i`, or -1 when it does not end in the text. */
function containerEnd(t: string, i: number): number {
  const structural = /["[\]{}]/g;
  structural.lastIndex = i;
  let depth = 0;
  for (let m = structural.exec(t); m; m = structural.exec(t)) {
    const c = m[0];
    if (c === '"') {
      const end = stringEnd(t, m.index);
      if (end === -1) return -1;
      structural.lastIndex = end;
    } else if (c === '{' || c === '[') {
      depth++;
    } else if (--depth === 0) {
      return m.index + 1;
    }
  }
  return -1;
}

/** Index just past a number or literal at `i`; -1 when the text ends first (the token may be cut). */
function scalarEnd(t: string, i: number): number {
  let j = i;
  while (j < t.length && !' \t\n\r,}]'.includes(t[j]!)) j++;
  return j === t.length || j === i ? -1 : j;
}

/**
 * The top-level object's members in `text`. Any input terminates; walking stops at the first thing
 * that is not well formed or at the end of the text (a frame's head may be cut anywhere).
 */
export function topLevelMembers(text: string): TopLevelMembers {
  const members: RawMember[] = [];
  let i = skipSpace(text, 0);
  if (text[i] !== '{') return { members, complete: false };
  i = skipSpace(text, i + 1);
  if (text[i] === '}') return { members, complete: true };
  while (text[i] === '"') {
    const nameEnd = stringEnd(text, i);
    if (nameEnd === -1) break;
    const rawName = text.slice(i, nameEnd);
    let name: unknown;
    try {
      name = rawName.includes('\\') ? JSON.parse(rawName) : rawName.slice(1, -1);
    } catch {
      break;
    }
    i = skipSpace(text, nameEnd);
    if (text[i] !== ':') break;
    const start = skipSpace(text, i + 1);
    const c = text[start];
    const end = c === '"' ? stringEnd(text, start) : c === '{' || c === '[' ? containerEnd(text, start) : scalarEnd(text, start);
    if (end === -1) break;
    members.push({ name: name as string, value: text.slice(start, end) });
    i = skipSpace(text, end);
    if (text[i] === '}') return { members, complete: true };
    if (text[i] !== ',') break;
    i = skipSpace(text, i + 1);
  }
  return { members, complete: false };
}
