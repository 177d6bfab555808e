// Text from outside made safe to show: the same rules as the server's recovery/domain/text.py `shown`
// (docs/decisions.md, "Text that cannot hide or reorder itself"). Bidi overrides, embeddings,
// isolates and marks, zero width and other format characters (Unicode Cf), C0 and C1 controls other
// than newline and tab, and lone surrogates are removed, each run replaced by one U+FFFD. Kept: ZWJ
// and ZWNJ between two visible characters that are not both ASCII (emoji, Indic scripts, Persian), and
// the tags of an emoji subdivision flag. Dropped silently: the soft hyphen. CR LF, CR, U+2028 and
// U+2029 become a newline. Text without any of these is returned as it is.
//
// dom.js passes every text it puts on the page through `shown`; `isolated` wraps a value a person
// wrote in a <bdi>, so a right-to-left name cannot reorder the text around it.

export const MARKER = "\uFFFD";

const SUSPECT = /[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/u;
const REMOVED = /^[\p{Cc}\p{Cf}\p{Cs}]$/u;
const VISIBLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const NEWLINES = /\r\n|[\r\u2028\u2029]/g;
const ZWNJ = "\u200C";
const ZWJ = "\u200D";
const SOFT_HYPHEN = "\u00AD";
const BLACK_FLAG = "\u{1F3F4}";
const CANCEL_TAG = "\u{E007F}";
const FLAG_TAG = /^[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]$/u;

function ascii(char) {
  return char.codePointAt(0) < 0x80;
}

function joinerKept(chars, index) {
  if (index === 0 || index + 1 >= chars.length) return false;
  const before = chars[index - 1];
  const after = chars[index + 1];
  return VISIBLE.test(before) && VISIBLE.test(after) && !(ascii(before) && ascii(after));
}

// The length of an emoji flag's tag sequence starting at `index` (after U+1F3F4), else 0.
function flagTags(chars, index) {
  if (index === 0 || chars[index - 1] !== BLACK_FLAG) return 0;
  let end = index;
  while (end < chars.length && FLAG_TAG.test(chars[end])) end += 1;
  const length = end - index;
  return length >= 3 && length <= 7 && chars[end] === CANCEL_TAG ? length + 1 : 0;
}

export function shown(value) {
  const text = String(value ?? "");
  if (!SUSPECT.test(text)) return text;
  const chars = Array.from(text.replace(NEWLINES, "\n")); // by code point, lone surrogates included
  let out = "";
  let hidden = false;
  let index = 0;
  while (index < chars.length) {
    const char = chars[index];
    const flag = flagTags(chars, index);
    let kept;
    if (flag) {
      kept = chars.slice(index, index + flag).join("");
      index += flag;
    } else if (char === SOFT_HYPHEN) {
      index += 1;
      continue;
    } else if (((char === ZWJ || char === ZWNJ) && joinerKept(chars, index)) || char === "\n" || char === "\t" || !REMOVED.test(char)) {
      kept = char;
      index += 1;
    } else {
      hidden = true;
      index += 1;
      continue;
    }
    if (hidden) {
      out += MARKER;
      hidden = false;
    }
    out += kept;
  }
  return hidden ? out + MARKER : out;
}

// A value someone wrote (a name, a tag, a team), isolated from the text around it; null when empty.
export function isolated(value) {
  if (value === null || value === undefined || value === "") return null;
  const element = document.createElement("bdi");
  element.textContent = shown(value);
  return element;
}

// Values someone wrote, each isolated, between separators: "a, b, c" with every value in its own <bdi>.
export function isolatedList(values, separator = ", ") {
  return values
    .filter((value) => value !== null && value !== undefined && value !== "")
    .flatMap((value, index) => (index ? [separator, isolated(value)] : [isolated(value)]));
}
