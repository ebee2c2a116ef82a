import { constants as fsConstants } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { CST, Lexer, isAlias, isCollection, isPair, isScalar, parseAllDocuments, type Document } from 'yaml';
import { InputError } from '../action/errors.js';

/**
 * The most a task definition or AppSpec file may hold, checked before it is read. The registered task
 * definition is capped at 64 KiB by ECS (see MAX_TASK_DEFINITION_BYTES); 1 MiB leaves room for
 * indentation and comments and still refuses a wrong file (a log, an archive) before parsing it.
 */
export const MAX_USER_FILE_BYTES = 1024 * 1024;

/**
 * The deepest nesting of lists and mappings a file may have. Real task definitions and AppSpecs nest
 * fewer than 10 levels; the YAML parser runs out of stack at about 1,000 (measured with yaml 2.9.1 on
 * Node 20), and the checks after parsing walk the document recursively.
 */
export const MAX_NESTING_DEPTH = 100;

function workspace(): string {
  return process.env.GITHUB_WORKSPACE || process.cwd();
}

/** An absolute path stays as it is; a relative one resolves against GITHUB_WORKSPACE (or the cwd). */
export function resolveWorkspacePath(file: string): string {
  if (isAbsolute(file)) return file;
  return resolve(workspace(), file);
}

function describeFileType(stats: {
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** 0-based offset of the first byte that does not start or continue a valid UTF-8 sequence, if any. */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number | undefined {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] as number;
    if (lead < 0x80) {
      i++;
      continue;
    }
    // Unicode 15, table 3-7 (well-formed UTF-8 byte sequences): no overlong forms, surrogates or > U+10FFFF.
    let length: number;
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) length = 2;
    else if (lead === 0xe0) [length, low] = [3, 0xa0];
    else if (lead === 0xed) [length, high] = [3, 0x9f];
    else if (lead >= 0xe1 && lead <= 0xef) length = 3;
    else if (lead === 0xf0) [length, low] = [4, 0x90];
    else if (lead === 0xf4) [length, high] = [4, 0x8f];
    else if (lead >= 0xf1 && lead <= 0xf3) length = 4;
    else return i;
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k];
      const [min, max] = k === 1 ? [low, high] : [0x80, 0xbf];
      if (next === undefined || next < min || next > max) return i;
    }
    i += length;
  }
  return undefined;
}

async function readAtMost(handle: FileHandle, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.alloc(Math.min(64 * 1024, limit + 1 - total));
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) break;
    chunks.push(chunk.subarray(0, bytesRead));
    total += bytesRead;
    if (total > limit) break;
  }
  return Buffer.concat(chunks, total);
}

/** Whether `path` is `dir` or inside it (both absolute). */
function isWithin(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * The file to open for `path`: a path in the workspace must stay there once its symbolic links are
 * followed (a link committed to the repository could otherwise read the runner's files, e.g. a task
 * definition that is a link to ~/.docker/config.json). A path outside the workspace, given as such, is the
 * workflow author's choice. Undefined when the path does not exist (the open reports it).
 */
async function fileToOpen(where: string, file: string, path: string): Promise<string | undefined> {
  const root = resolve(workspace());
  if (!isWithin(path, root)) return path;
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    return undefined;
  }
  const realRoot = await realpath(root).catch(() => root);
  if (isWithin(real, realRoot)) return real;
  throw new InputError(
    where,
    `'${file}' (${path}) leads through a symbolic link to ${real}, outside the workspace ${root}.`,
    "Name a file inside the repository: a link that leaves the workspace could read the runner's own files. Copy the file into the workspace in an earlier step if it lives elsewhere.",
  );
}

/**
 * Reads a file named by an action input, without blocking the event loop (a cancel is handled while
 * it reads). A path in the workspace that leads out of it through a symbolic link is refused. Only a
 * regular file is read: the type is checked on the opened handle (a FIFO is opened non-blocking, so it
 * cannot hang the open), its size is capped before reading, and its bytes must be UTF-8. Errors name the
 * input, the resolved path and the workspace.
 */
export async function readUserFile(
  inputName: string,
  file: string,
  maxBytes: number = MAX_USER_FILE_BYTES,
): Promise<{ path: string; text: string }> {
  const where = `input '${inputName}'`;
  const path = resolveWorkspacePath(file);
  const unreadable = (error: unknown): InputError =>
    new InputError(
      where,
      `file '${file}' (${path}) could not be read (${(error as { code?: string }).code ?? 'unknown error'}).`,
      'Check the file permissions of the checked-out file.',
    );
  const target = (await fileToOpen(where, file, path)) ?? path;
  let handle: FileHandle;
  try {
    handle = await open(target, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new InputError(
        where,
        `file '${file}' was not found (looked at ${path}; workspace is ${workspace()}).`,
        'Give a path relative to the repository root, and check out the repository (actions/checkout) before this step.',
      );
    }
    if (code === 'EISDIR') throw directoryError(where, file, path);
    throw unreadable(error);
  }
  let bytes: Buffer;
  try {
    const stats = await handle.stat();
    if (stats.isDirectory()) throw directoryError(where, file, path);
    if (!stats.isFile()) {
      throw new InputError(
        where,
        `'${file}' (${path}) is ${describeFileType(stats)}, not a regular file.`,
        'Name a file committed to the repository (or written by an earlier step), not a pipe or device.',
      );
    }
    if (stats.size > maxBytes) throw tooLargeError(where, file, path, `is ${stats.size} bytes`, maxBytes);
    try {
      bytes = await readAtMost(handle, maxBytes);
    } catch (error) {
      throw unreadable(error);
    }
    // A file that grew after the size check, or a /proc file that stats as empty.
    if (bytes.length > maxBytes) throw tooLargeError(where, file, path, 'holds more', maxBytes);
  } finally {
    await handle.close();
  }
  return { path, text: decodeUtf8(bytes, where, file, path) };
}

function directoryError(where: string, file: string, path: string): InputError {
  return new InputError(
    where,
    `'${file}' is a directory (${path}), not a file.`,
    'Name the file itself, for example task-definition.json inside that directory.',
  );
}

function tooLargeError(
  where: string,
  file: string,
  path: string,
  size: string,
  maxBytes: number,
): InputError {
  return new InputError(
    where,
    `file '${file}' (${path}) ${size}: more than the ${maxBytes} bytes this action reads.`,
    'Check that the input names the right file: a task definition or AppSpec is a few kilobytes.',
  );
}

function decodeUtf8(bytes: Buffer, where: string, file: string, path: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const offset = firstInvalidUtf8Offset(bytes) ?? 0;
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
    const byte = (bytes[offset] ?? 0).toString(16).toUpperCase().padStart(2, '0');
    throw new InputError(
      where,
      `file '${file}' (${path}) is not UTF-8: the byte 0x${byte} at offset ${offset} (line ${line}) does not belong to a UTF-8 character.`,
      'Save the file as UTF-8 (for example: iconv -f latin1 -t utf-8), or remove that byte.',
    );
  }
}

/** 1-based line and column of a 0-based offset into text. */
function lineAndColumn(text: string, position: number): { line: number; col: number } {
  const before = text.slice(0, Math.max(0, Math.min(position, text.length)));
  const lines = before.split('\n');
  const last = lines[lines.length - 1] ?? '';
  return { line: lines.length, col: last.length + 1 };
}

function looksLikeJson(text: string): boolean {
  const first = text.replace(/^\uFEFF/, '').trimStart()[0];
  return first === '{' || first === '[';
}

function describeKind(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}

function requireMapping(value: unknown, file: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError(
      file,
      `the document is ${describeKind(value)}, but it must be a mapping (an object with named fields) at the top level.`,
      'Write the fields at the top level of the file, for example {"family": "web", ...}.',
    );
  }
  return value as Record<string, unknown>;
}

function tooDeepError(file: string, text: string, offset: number): InputError {
  const { line, col } = lineAndColumn(text, offset);
  return new InputError(
    `${file}:${line}:${col}`,
    `nests lists and mappings more than ${MAX_NESTING_DEPTH} levels deep (line ${line}, column ${col}).`,
    'A task definition or AppSpec nests fewer than 10 levels: check for unclosed [ or { brackets.',
  );
}

/**
 * Refuses text that nests deeper than MAX_NESTING_DEPTH, before a parser recurses into it. Uses the
 * YAML lexer (a loop, no recursion) and counts open flow brackets ([ and {, also JSON's) plus block
 * levels: one per deeper indentation in effect and one per `-` or `?` indicator on the line. The block
 * count can only overstate the depth; the depth of what was parsed is checked exactly afterwards.
 */
function checkNestingBeforeParsing(text: string, file: string): void {
  let flow = 0;
  let offset = 0;
  let atLineStart = true;
  let pendingIndent = 0;
  let indents: number[] = [];
  let lineIndicators = 0;
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    if (atLineStart && type === 'space') {
      pendingIndent = token.length;
    } else if (atLineStart && type !== 'newline' && type !== 'comment' && type !== 'doc-mode') {
      atLineStart = false;
      if (flow === 0) {
        indents = indents.filter((indent) => indent < pendingIndent);
        indents.push(pendingIndent);
        lineIndicators = 0;
      }
    }
    if (type === 'flow-map-start' || type === 'flow-seq-start') flow++;
    else if (type === 'flow-map-end' || type === 'flow-seq-end') flow = Math.max(0, flow - 1);
    else if ((type === 'seq-item-ind' || type === 'explicit-key-ind') && flow === 0) lineIndicators++;
    if (flow + indents.length + lineIndicators > MAX_NESTING_DEPTH) throw tooDeepError(file, text, offset);
    // 'doc-mode', 'scalar' and 'flow-error-end' are markers of the lexer, not text of the file.
    if (type !== 'scalar' && type !== 'doc-mode' && type !== 'flow-error-end') offset += token.length;
    if (token.endsWith('\n')) {
      atLineStart = true;
      pendingIndent = 0;
    }
  }
}

/** Refuses a parsed value nested deeper than MAX_NESTING_DEPTH (iteratively: no recursion to overflow). */
function checkParsedNesting(value: unknown, file: string): void {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop() as { value: unknown; depth: number };
    if (item.value === null || typeof item.value !== 'object') continue;
    if (item.depth >= MAX_NESTING_DEPTH) {
      throw new InputError(
        file,
        `nests lists and mappings more than ${MAX_NESTING_DEPTH} levels deep.`,
        'A task definition or AppSpec nests fewer than 10 levels: check the file (and its YAML aliases).',
      );
    }
    for (const child of Object.values(item.value)) stack.push({ value: child, depth: item.depth + 1 });
  }
}

class JsonSyntaxError extends InputError {}

function parseJson(text: string, file: string): unknown {
  const source = text.replace(/^\uFEFF/, '');
  try {
    return JSON.parse(source);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const match = /at position (\d+)/.exec(message);
    const position = match?.[1] !== undefined ? Number(match[1]) : source.length;
    const { line, col } = lineAndColumn(source, position);
    const problem = message
      .replace(/\s*in JSON at position \d+.*$/, '')
      .replace(/\s*\(line \d+ column \d+\)$/, '');
    throw new JsonSyntaxError(
      `${file}:${line}:${col}`,
      `is not valid JSON: ${problem} (line ${line}, column ${col}).`,
      'Fix the JSON syntax at that position (a trailing comma or a missing quote is the usual cause).',
    );
  }
}

/**
 * The most a YAML document may hold once its aliases are expanded: as many characters of scalars as a
 * file may have bytes, and half as many nodes (a node takes at least two bytes of a file without aliases).
 * Aliases under the yaml package's maxAliasCount still repeat their anchor: 90 aliases of a 20 KB string are
 * 1.8 MB in every later step (the size check, the transforms, the registration).
 */
export const MAX_EXPANDED_CHARS = MAX_USER_FILE_BYTES;
export const MAX_EXPANDED_NODES = MAX_USER_FILE_BYTES / 2;

/**
 * Counts what the document holds with its aliases expanded, without expanding them (each anchor's size once,
 * in document order, iteratively), and refuses it past MAX_EXPANDED_CHARS or MAX_EXPANDED_NODES, or when an
 * alias refers to a node that contains it. Runs before the document is turned into a value.
 */
function checkExpansion(doc: Document, file: string): void {
  const sizes = new Map<unknown, { nodes: number; chars: number }>();
  const anchors = new Map<string, unknown>();
  const tooBig = (): InputError =>
    new InputError(
      file,
      `uses YAML aliases (*name) that expand to more than ${MAX_EXPANDED_CHARS} characters or ${MAX_EXPANDED_NODES} values: each alias repeats its anchor (an "alias bomb" when aliases nest).`,
      'Write the repeated values out, or use fewer aliases of aliases.',
    );
  type Frame = { node: unknown; exit: boolean };
  const stack: Frame[] = [{ node: doc.contents, exit: false }];
  while (stack.length > 0) {
    const { node, exit } = stack.pop() as Frame;
    if (node === null || node === undefined) continue;
    const children: unknown[] = isCollection(node) ? node.items : isPair(node) ? [node.key, node.value] : [];
    if (!exit) {
      const anchor = (node as { anchor?: string }).anchor;
      if (anchor) anchors.set(anchor, node);
      if (isAlias(node)) {
        const source = anchors.get(node.source);
        if (source !== undefined && !sizes.has(source))
          throw new InputError(
            file,
            `has a YAML alias *${node.source} inside the value it names: it never ends.`,
            'Remove the alias from the value it names.',
          );
        sizes.set(node, sizes.get(source) ?? { nodes: 1, chars: 0 });
      } else if (isScalar(node)) {
        sizes.set(node, { nodes: 1, chars: String(node.value ?? '').length });
      } else {
        stack.push({ node, exit: true });
        for (let i = children.length - 1; i >= 0; i--) stack.push({ node: children[i], exit: false });
        continue;
      }
    } else {
      let nodes = isPair(node) ? 0 : 1;
      let chars = 0;
      for (const child of children) {
        const size = child === null || child === undefined ? undefined : sizes.get(child);
        nodes += size?.nodes ?? 0;
        chars += size?.chars ?? 0;
      }
      sizes.set(node, { nodes, chars });
    }
    const size = sizes.get(node);
    if (size && (size.nodes > MAX_EXPANDED_NODES || size.chars > MAX_EXPANDED_CHARS)) throw tooBig();
  }
}

/** What the yaml package throws when aliases expand past its maxAliasCount (100 by default). */
function isAliasLimitError(error: unknown): boolean {
  return error instanceof ReferenceError && /alias count/i.test(error.message);
}

function parseYaml(text: string, file: string): unknown {
  const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true });
  // parseAllDocuments returns an EmptyStream (no documents) for an empty file.
  const list = Array.isArray(docs) ? docs : [];
  if (list.length > 1) {
    const second = list[1];
    const offset = second?.range[0] ?? 0;
    const { line } = lineAndColumn(text, offset);
    throw new InputError(
      `${file}:${line}`,
      `holds ${list.length} YAML documents (the second starts at line ${line}), but only one is allowed.`,
      'Keep a single document in the file: remove the extra --- separators.',
    );
  }
  const doc = list[0];
  if (!doc) return null;
  const error = doc.errors[0];
  if (error) {
    if (error.code === 'RESOURCE_EXHAUSTION') throw tooDeepError(file, text, error.pos[0]);
    const pos = error.linePos?.[0];
    const line = pos?.line ?? lineAndColumn(text, error.pos[0]).line;
    const col = pos?.col ?? lineAndColumn(text, error.pos[0]).col;
    const first = error.message.split('\n')[0] ?? error.message;
    const problem = first.replace(/ at line \d+, column \d+:?$/, '');
    const fix =
      error.code === 'DUPLICATE_KEY'
        ? 'Each key may appear only once in a mapping: remove or rename the duplicate.'
        : 'Fix the YAML at that line (check indentation and quoting).';
    throw new InputError(
      `${file}:${line}:${col}`,
      `is not valid YAML: ${problem} (line ${line}, column ${col}).`,
      fix,
    );
  }
  checkExpansion(doc, file);
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    if (isAliasLimitError(error)) {
      throw new InputError(
        file,
        'uses YAML aliases (*name) that expand to more than the yaml parser allows (an "alias bomb": each alias repeats its anchor, so nested aliases grow exponentially).',
        'Write the repeated values out, or use fewer aliases of aliases.',
      );
    }
    if (error instanceof RangeError) throw tooDeepError(file, text, 0);
    throw error;
  }
}

/**
 * Parses a user's JSON or YAML file, as the official action does with yaml.parse (JSON is YAML). A
 * `.json` file must be JSON. Other text that starts with `{` or `[` is read as JSON and, when that
 * fails, as YAML: YAML flow style allows trailing commas and unquoted keys (the JSON error is reported
 * when neither reads it). Everything else is YAML (single document, unique keys). The top level must be
 * a mapping; nesting is capped at MAX_NESTING_DEPTH.
 */
export function parseJsonOrYaml(text: string, file: string): unknown {
  checkNestingBeforeParsing(text, file);
  let value: unknown;
  if (file.toLowerCase().endsWith('.json')) {
    value = parseJson(text, file);
  } else if (looksLikeJson(text)) {
    try {
      value = parseJson(text, file);
    } catch (jsonError) {
      if (!(jsonError instanceof JsonSyntaxError)) throw jsonError;
      try {
        value = parseYaml(text, file);
      } catch (yamlError) {
        if (yamlError instanceof InputError && /is not valid YAML/.test(yamlError.message)) throw jsonError;
        throw yamlError;
      }
    }
  } else {
    value = parseYaml(text, file);
  }
  checkParsedNesting(value, file);
  return requireMapping(value, file);
}
