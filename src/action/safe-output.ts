/**
 * Prints text the action did not write (hook log tails, AWS messages, service events, the test
 * command's output) so the runner acts on none of it as a workflow command.
 *
 * The runner splits output into lines at "\n", "\r" or "\r\n" (StreamReader.ReadLine) and reads a
 * command from a line that starts with `::` after leading white space (ActionCommand.TryParseV2) or
 * that holds `##[` anywhere (ActionCommand.TryParse, the legacy form); actions/runner,
 * src/Runner.Common/ActionCommand.cs. Text with no such line is printed as it is. Text with one is
 * printed inside `::stop-commands::<token>` … `::<token>::`, with a token the text does not contain, so
 * nothing in it can end the block early. The text itself is shown unchanged. The token is one random UUID
 * per run of the action (the runner adds every stop-commands token to the job-wide secret masker, so a
 * fresh token per block would grow it by one entry per chatty line); a text that holds it gets a fresh one.
 *
 * Raw output (write) arrives in chunks that can split a line or a `::`: it is held until a line ends,
 * so the block markers always stand on lines of their own. Every other print flushes what is held.
 */
import { randomUUID } from 'node:crypto';
import { EOL } from 'node:os';

// Leading white space as .NET's TrimStart removes it (char.IsWhiteSpace), taken wider: JavaScript's \s
// (which adds U+FEFF) plus U+0085.
const LEADING_SPACE = /^[\s\u0085]*/;

/** Whether the runner could read a command from any line of this text. */
export function couldHoldCommand(text: string): boolean {
  if (text.includes('##[')) return true;
  if (!text.includes('::')) return false;
  return text.split(/\r\n|\r|\n/).some((line) => line.replace(LEADING_SPACE, '').startsWith('::'));
}

let runToken: string | undefined;

/** This run's stop-commands token: made once per process. */
export function runStopToken(): string {
  runToken ??= randomUUID();
  return runToken;
}

/**
 * The text, ready to print: as is, or inside a stop-commands block when it could hold a command. The block's
 * token is `firstToken()` (this run's), or a fresh one from `newToken` while the text holds it.
 */
export function guarded(
  text: string,
  newToken: () => string = randomUUID,
  firstToken: () => string = newToken === randomUUID ? runStopToken : newToken,
): string {
  if (!couldHoldCommand(text)) return text;
  const lower = text.toLowerCase();
  let token = firstToken();
  // The runner compares the token case-insensitively; a UUID in the text is beyond chance, but cheap to rule out.
  while (lower.includes(token.toLowerCase())) token = newToken();
  const ended = /[\r\n]$/.test(text) ? text : text + EOL;
  return `::stop-commands::${token}${EOL}${ended}::${token}::${EOL}`;
}

/** A partial line longer than this is printed as a line of its own rather than held further. */
export const MAX_HELD_CHARS = 64 * 1024;

export interface SafeOutput {
  /** a whole message, as a line (core.info's form) */
  line(message: string): void;
  /** raw output in chunks; whole lines are printed, a partial last line is held */
  chunk(text: string): void;
  /** prints a held partial line (with a line end); call before anything else is printed */
  flush(): void;
}

export function safeOutput(print: (text: string) => void, newToken?: () => string): SafeOutput {
  let held = '';
  const flush = (): void => {
    if (!held) return;
    const text = held + EOL;
    held = '';
    print(guarded(text, newToken));
  };
  return {
    line(message) {
      flush();
      print(guarded(message + EOL, newToken));
    },
    chunk(text) {
      held += text;
      const lastEnd = Math.max(held.lastIndexOf('\n'), held.lastIndexOf('\r'));
      if (lastEnd >= 0) {
        const whole = held.slice(0, lastEnd + 1);
        held = held.slice(lastEnd + 1);
        print(guarded(whole, newToken));
      }
      if (held.length > MAX_HELD_CHARS) flush();
    },
    flush,
  };
}
