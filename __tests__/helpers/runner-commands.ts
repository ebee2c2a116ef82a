/**
 * The GitHub runner's own rules for turning a step's output into workflow commands, ported from
 * actions/runner (commit 258d6c857, the snapshot read for this port) so tests can ask "would the runner
 * act on this?" of what the action prints:
 *
 * - src/Runner.Sdk/ProcessInvoker.cs StartReadStream (l. 507-522): stdout and stderr are read with
 *   StreamReader.ReadLine, so a line ends at "\r\n", "\r" or "\n".
 * - src/Runner.Worker/Handlers/OutputManager.cs OnDataReceived (l. 77-91): a line is offered to the
 *   command manager when it contains "##[" or "::" anywhere.
 * - src/Runner.Worker/ActionCommandManager.cs TryProcessCommand (l. 61-154): TryParseV2, then the
 *   legacy TryParse; command names compare case-insensitively (l. 24-25); `stop-commands` pauses every
 *   command until a line whose command name is the token (l. 85-124); an empty token, a registered
 *   command name or `pause-logging` is refused (ValidateStopToken, l. 156-188). Registered commands:
 *   the extensions in that file (l. 204-835; internal-set-repo-path only for plugins, l. 42).
 * - src/Runner.Common/ActionCommand.cs TryParseV2 (l. 51-119): `::name key=value,key=value::data`
 *   after TrimStart; TryParse (l. 121-189): `##[name key=value;key=value]data` ANYWHERE in the line.
 *
 * Not ported: the `notice` feature flag (notice is treated as enabled, the stricter choice), the
 * ACTIONS_ALLOW_UNSECURE_* switches (treated as off), and what each command does once recognised.
 */

export const REGISTERED_COMMANDS = [
  'stop-commands',
  'set-env',
  'set-output',
  'save-state',
  'add-mask',
  'add-path',
  'add-matcher',
  'remove-matcher',
  'debug',
  'warning',
  'error',
  'notice',
  'group',
  'endgroup',
  'echo',
] as const;

export interface RunnerCommand {
  /** as written (the runner compares names case-insensitively) */
  command: string;
  properties: Record<string, string>;
  data: string;
}

export interface ProcessedLine {
  line: string;
  /** 0-based index among the runner's lines */
  index: number;
  /** command: acted on; stop / resume: the stop-commands block; output: printed as text */
  kind: 'command' | 'stop' | 'resume' | 'output';
  parsed?: RunnerCommand;
}

/** StreamReader.ReadLine: "\r\n", "\r" and "\n" end a line; a final terminator opens no empty line. */
export function runnerLines(output: string): string[] {
  const lines = output.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

// .NET char.IsWhiteSpace: JavaScript's \s without U+FEFF, plus U+0085.
const DOTNET_SPACE =
  '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const LEADING_SPACE = new RegExp(`^${DOTNET_SPACE}+`);
const EDGE_SPACE = new RegExp(`^${DOTNET_SPACE}+|${DOTNET_SPACE}+$`, 'g');

function unescape(text: string, mappings: Array<[string, string]>): string {
  let result = text;
  for (const [token, replacement] of mappings) result = result.split(replacement).join(token);
  return result;
}
const DATA: Array<[string, string]> = [
  ['\r', '%0D'],
  ['\n', '%0A'],
  ['%', '%25'],
];
const PROPERTY: Array<[string, string]> = [
  ['\r', '%0D'],
  ['\n', '%0A'],
  [':', '%3A'],
  [',', '%2C'],
  ['%', '%25'],
];
const LEGACY: Array<[string, string]> = [
  [';', '%3B'],
  ['\r', '%0D'],
  ['\n', '%0A'],
  [']', '%5D'],
  ['%', '%25'],
];

/** `Split('=', 2, RemoveEmptyEntries)` for one property (close enough: only pairs count). */
function property(text: string): [string, string] | undefined {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) return undefined;
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/**
 * The part both parsers share, from the command info (`name key=value…`): the name when registered
 * (case-insensitively), and the properties split at `separator` (V2 trims them first).
 */
function commandInfo(
  info: string,
  registered: ReadonlySet<string>,
  form: { separator: string; trim: boolean; mappings: Array<[string, string]> },
): Omit<RunnerCommand, 'data'> | undefined {
  const space = info.indexOf(' ');
  const name = space < 0 ? info : info.slice(0, space);
  if (!registered.has(name.toLowerCase())) return undefined;
  const properties: Record<string, string> = {};
  if (space > 0) {
    const list = info.slice(space + 1);
    for (const part of (form.trim ? list.replace(EDGE_SPACE, '') : list)
      .split(form.separator)
      .filter(Boolean)) {
      const pair = property(part);
      if (pair) properties[pair[0]] = unescape(pair[1], form.mappings);
    }
  }
  return { command: name, properties };
}

/** ActionCommand.TryParseV2. */
export function tryParseV2(message: string, registered: ReadonlySet<string>): RunnerCommand | undefined {
  if (!message) return undefined;
  const trimmed = message.replace(LEADING_SPACE, '');
  if (!trimmed.startsWith('::')) return undefined;
  const end = trimmed.indexOf('::', 2);
  if (end < 0) return undefined;
  const parsed = commandInfo(trimmed.slice(2, end), registered, {
    separator: ',',
    trim: true,
    mappings: PROPERTY,
  });
  return parsed && { ...parsed, data: unescape(trimmed.slice(end + 2), DATA) };
}

/** ActionCommand.TryParse (legacy `##[…]`, found anywhere in the line). */
export function tryParseLegacy(message: string, registered: ReadonlySet<string>): RunnerCommand | undefined {
  if (!message) return undefined;
  const prefix = message.indexOf('##[');
  if (prefix < 0) return undefined;
  const rb = message.indexOf(']', prefix);
  if (rb < 0) return undefined;
  const parsed = commandInfo(message.slice(prefix + 3, rb), registered, {
    separator: ';',
    trim: false,
    mappings: LEGACY,
  });
  return parsed && { ...parsed, data: unescape(message.slice(rb + 1), LEGACY) };
}

/** ActionCommandManager.TryProcessCommand over a whole output, with the stop-commands state machine. */
export function processRunnerOutput(output: string): ProcessedLine[] {
  const registered = new Set<string>(REGISTERED_COMMANDS);
  let stopToken: string | undefined;
  return runnerLines(output).map((line, index): ProcessedLine => {
    const output: ProcessedLine = { line, index, kind: 'output' };
    if (!line.includes('##[') && !line.includes('::')) return output;
    const parsed = tryParseV2(line, registered) ?? tryParseLegacy(line, registered);
    if (!parsed) return output;
    const name = parsed.command.toLowerCase();
    if (stopToken !== undefined) {
      if (name !== stopToken) return output;
      registered.delete(stopToken);
      stopToken = undefined;
      return { ...output, kind: 'resume', parsed };
    }
    if (name === 'stop-commands') {
      const token = parsed.data;
      const invalid =
        !token || registered.has(token.toLowerCase()) || token.toLowerCase() === 'pause-logging';
      // The runner throws before it stops (the step's command fails): a command, but no stop.
      if (invalid) return { ...output, kind: 'command', parsed };
      stopToken = token.toLowerCase();
      registered.add(stopToken);
      return { ...output, kind: 'stop', parsed };
    }
    return { ...output, kind: 'command', parsed };
  });
}

/** The commands the runner would act on (stop-commands blocks left out). */
export function runnerCommands(output: string): Array<RunnerCommand & { line: string; index: number }> {
  return processRunnerOutput(output)
    .filter((l) => l.kind === 'command')
    .map((l) => ({ ...(l.parsed as RunnerCommand), line: l.line, index: l.index }));
}
