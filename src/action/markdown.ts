/**
 * The Markdown kit for the job summary and the plan: text the action did not write (AWS messages, hook
 * diagnostics and log tails, stopped-task reasons, task definition fields, the test command, notes that quote
 * them) goes into Markdown only through these functions, and then renders as text or code and nothing else: no
 * heading, list item, table row, link, image, HTML element or comment of its own
 * (__tests__/unit/core/summary-inert.test.ts renders the summaries of hostile inputs with a CommonMark + GFM
 * renderer to show it). It sits in the lowest layer so that every layer that writes Markdown (prepare/'s diff
 * and plans, record/'s summary frame, the engines' parts, the commands) uses the same one;
 * src/record/summary.ts re-exports it.
 */

/**
 * Control characters (C0 but TAB and LF, DEL, C1 with NEL), the Unicode line and paragraph separators, and the
 * bidirectional overrides and isolates: a renderer may start a line at CR, NEL, U+2028 or U+2029, and the
 * bidirectional controls reorder what a reader sees. Each is shown as an escape instead.
 */
// eslint-disable-next-line no-control-regex -- the control characters are what this finds
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeOf(c: string): string {
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  return `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The text with every control and separator character shown as an escape (`\r`, `\u2028`); LF stays. */
export function visibleControls(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(HIDDEN, escapeOf);
}

/** One line: CRLF and LF become a space, TAB a space, every other control an escape. */
function oneLine(text: string): string {
  return visibleControls(text).replace(/[\n\t]/g, ' ');
}

/**
 * Text as Markdown that renders as that text and nothing else, on one line. Escaped: the characters that
 * start inline constructs (emphasis, code, links and images, strikethrough, math, table cells), `<`, `>` and
 * `&` as HTML entities (no tag, comment or entity of the text's own), what GFM turns into a link by itself
 * (`://`, `www.`, `@`), and a first character that could start a block (a heading, a list item, a quote, a
 * thematic break) where the text opens a line or a list item. Leading and trailing white space is dropped.
 */
export function escapeMarkdown(text: string): string {
  return oneLine(text)
    .trim()
    .replace(/[\\`*_[\]|~$@]/g, (c) => `\\${c}`)
    .replace(/[<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;'))
    .replace(/:(?=\/\/)/g, '\\:')
    .replace(/(www)\./gi, '$1\\.')
    .replace(/^(?:[-+#>=]|\d{1,9}(?=[.)]))/, (c) => (/\d/.test(c) ? `${c}\\` : `\\${c}`));
}

/** The longest run of `char` in the text. */
function longestRun(text: string, char: string): number {
  let longest = 0;
  let run = 0;
  for (const c of text) {
    run = c === char ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return longest;
}

/**
 * Inline code, on one line, whose backtick fence is longer than any run of backticks inside, so nothing in
 * the text ends it. Not for table cells: use codeCell there (a `|` would split the cell).
 */
export function code(text: string): string {
  const body = oneLine(text);
  const fence = '`'.repeat(longestRun(body, '`') + 1);
  // A space on each side keeps a backtick at either end from joining the fence (CommonMark strips one).
  const pad = body.startsWith('`') || body.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

/** Inline code in a GFM table cell: as code, with `|` escaped (GFM removes that backslash, even in code). */
export function codeCell(text: string): string {
  return code(text).replace(/\|/g, '\\|');
}

/** A table row of cells that are Markdown already (escapeMarkdown, codeCell, the action's own words). */
export function tableRow(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/** A link with text that renders as text; the URL is the action's (a console link), with its parentheses and spaces encoded. */
export function link(text: string, url: string): string {
  return `[${escapeMarkdown(text)}](${url.replace(/[()<> ]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)})`;
}

/**
 * A fenced code block of text that is not the action's (a log tail): its fence is longer than any run of
 * backticks or tildes inside, so no line of the text closes it; CR and other controls are shown as escapes
 * (a lone CR would otherwise end a line). Returns the block's lines.
 */
export function fenced(text: string, info = ''): string[] {
  const body = visibleControls(text).replace(/\n$/, '');
  const fence = '`'.repeat(Math.max(3, longestRun(body, '`') + 1, longestRun(body, '~') + 1));
  return [`${fence}${info}`, body, fence];
}
