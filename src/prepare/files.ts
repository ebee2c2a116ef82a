import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { InputError } from '../action/errors.js';

function workspace(): string {
  return process.env.GITHUB_WORKSPACE || process.cwd();
}

/** An absolute path stays as it is; a relative one resolves against GITHUB_WORKSPACE (or the cwd). */
export function resolveWorkspacePath(file: string): string {
  if (isAbsolute(file)) return file;
  return resolve(workspace(), file);
}

/** Reads a file named by an action input. Errors name the input, the resolved path and the workspace. */
export function readUserFile(inputName: string, file: string): { path: string; text: string } {
  const where = `input '${inputName}'`;
  const path = resolveWorkspacePath(file);
  let stats;
  try {
    stats = statSync(path);
  } catch {
    throw new InputError(
      where,
      `file '${file}' was not found (looked at ${path}; workspace is ${workspace()}).`,
      'Give a path relative to the repository root, and check out the repository (actions/checkout) before this step.',
    );
  }
  if (stats.isDirectory()) {
    throw new InputError(
      where,
      `'${file}' is a directory (${path}), not a file.`,
      'Name the file itself, for example task-definition.json inside that directory.',
    );
  }
  try {
    return { path, text: readFileSync(path, 'utf8') };
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unknown error';
    throw new InputError(
      where,
      `file '${file}' (${path}) could not be read (${code}).`,
      'Check the file permissions of the checked-out file.',
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

function looksLikeJson(text: string, file: string): boolean {
  if (file.toLowerCase().endsWith('.json')) return true;
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
    throw new InputError(
      `${file}:${line}:${col}`,
      `is not valid JSON: ${problem} (line ${line}, column ${col}).`,
      'Fix the JSON syntax at that position (a trailing comma or a missing quote is the usual cause).',
    );
  }
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
  return doc.toJS();
}

/**
 * Parses a user's JSON or YAML file. `.json` files, and text starting with `{` or `[`, are JSON;
 * everything else is YAML (single document, unique keys). The top level must be a mapping.
 */
export function parseJsonOrYaml(text: string, file: string): unknown {
  const value = looksLikeJson(text, file) ? parseJson(text, file) : parseYaml(text, file);
  return requireMapping(value, file);
}
