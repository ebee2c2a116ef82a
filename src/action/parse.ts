/**
 * How an input's text becomes a value: booleans as the official action reads them, choices, numbers in a
 * range, lists and JSON. Each error names the input and says how to fix it.
 */
import { InputError } from './errors.js';

export type ReadInput = (name: string) => string;

export function parseBoolean(read: ReadInput, name: string, fallback: boolean): boolean {
  const raw = read(name);
  if (raw === '') return fallback;
  // Any casing, as the official action compares raw.toLowerCase() === 'true'.
  if (raw.toLowerCase() === 'true') return true;
  if (raw.toLowerCase() === 'false') return false;
  throw new InputError(`input '${name}'`, `'${raw}' is not a boolean.`, 'Use true or false.');
}

export function parseChoice<T extends string>(
  read: ReadInput,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = read(name);
  if (raw === '') return fallback;
  const found = choices.find((choice) => choice.toLowerCase() === raw.toLowerCase());
  if (!found) {
    throw new InputError(`input '${name}'`, `'${raw}' is not one of ${choices.join(', ')}.`);
  }
  return found;
}

export function parseNumber(
  read: ReadInput,
  name: string,
  options: { min: number; max: number; integer?: boolean },
): number | undefined {
  const raw = read(name);
  if (raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || (options.integer && !Number.isInteger(value))) {
    throw new InputError(
      `input '${name}'`,
      `'${raw}' is not ${options.integer ? 'a whole number' : 'a number'}.`,
    );
  }
  if (value < options.min || value > options.max) {
    throw new InputError(
      `input '${name}'`,
      `${value} is out of range.`,
      options.max === Number.POSITIVE_INFINITY
        ? `Use ${options.min} or more.`
        : `Use ${options.min} to ${options.max}.`,
    );
  }
  return value;
}

/** Comma or newline separated list, blanks dropped. */
export function parseList(raw: string): string[] {
  return raw
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** A JSON input: undefined when empty; a parse error names the input. */
export function parseJson(read: ReadInput, name: string, example: string): unknown {
  const raw = read(name);
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw new InputError(
      `input '${name}'`,
      `is not valid JSON (${error instanceof Error ? error.message : String(error)}).`,
      `Example: ${example}`,
    );
  }
}
