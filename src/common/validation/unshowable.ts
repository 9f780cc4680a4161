/**
 * What no name shown to a person needs: control characters (C0, DEL and C1, which terminals also
 * obey), the bidirectional controls that make `txt.exe` read as `exe.txt`, and invisible ones
 * (zero-width space, word joiner, BOM, soft hyphen, Hangul fillers, line and paragraph
 * separators) that hide what follows. Joiners that emoji and scripts need stay, so this strips a
 * name rather than judging it: see `showsAsNothing`.
 */
export const UNSHOWABLE =
  /[\p{Cc}\u00ad\u061c\u115f\u1160\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\u3164\ufeff\uffa0]/gu;

/**
 * White space, controls, format characters and the code points Unicode says to show as nothing
 * (Default_Ignorable_Code_Point: zero-width joiners, variation selectors, Hangul fillers), and the
 * blanks that fonts draw empty (U+2800 BRAILLE PATTERN BLANK).
 */
const INVISIBLE_ONLY = /^[\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]*$/u;

/** Whether `text` would show as nothing in a list, a page or the audit trail: empty, or only invisible characters. */
export function showsAsNothing(text: string): boolean {
  return INVISIBLE_ONLY.test(text);
}

/**
 * A control, a format character (bidi controls and marks, zero-width space and joiners, soft
 * hyphen, BOM, tags), a code point Unicode says to show as nothing (word joiner, variation
 * selectors, Hangul fillers), or white space other than the ASCII space (NBSP, U+2028, U+3000).
 * Stricter than `UNSHOWABLE`, which keeps the joiners and selectors a name's emoji and scripts need.
 */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}]|[^\S ]/u;

/** Whether `text` holds a character that hides or reorders what is shown, so that it reads the same as text without it. */
export function hidesCharacters(text: string): boolean {
  return HIDDEN.test(text);
}
