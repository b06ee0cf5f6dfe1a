// Names from inputs on their way into Markdown and HTML: data, never markup, never reordering the text around them.
// Bidi overrides and isolates (U+202A-202E, U+2066-2069) can make a name read backwards; shown escaped.
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;

/** A bidi control as `\u202e`, so a name cannot reorder the text around it. */
export function neutraliseBidi(text: string): string {
  return text.replace(BIDI, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/**
 * Text for a Markdown table cell: names from inputs (file names, syscall names, frames) are data, so the
 * Markdown that could change them (code spans, emphasis, links, pipes, HTML tags) is escaped and newlines
 * cannot end the row. GFM leaves intraword `_` alone, so `epoll_ctl` stays as it is.
 */
export function markdownCell(text: string): string {
  return neutraliseBidi(text)
    .replace(/\r?\n/g, ' ')
    .replace(/[\\`*[\]|]|<(?=[A-Za-z/!?])|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, (c) => `\\${c}`);
}
