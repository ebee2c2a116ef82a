/**
 * Expressions of a workflow evaluated with GitHub's own expression engine (@actions/expressions, the
 * package GitHub's workflow parser and language server use): `${{ … }}` in any value the parser left as
 * an expression token, `if:` conditions (which the parser has already wrapped in `success() && (…)` when
 * they name no status function), and the status functions themselves, which the engine leaves to its
 * host (here: the workflow executor).
 */
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';
import { truthy } from '@actions/expressions/result';
import {
  isBasicExpression,
  isBoolean,
  isMapping,
  isNumber,
  isSequence,
  isString,
} from '@actions/workflow-parser';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';

/** A JSON-like value, the executor's side of an expression's data. */
export type Value = string | number | boolean | null | Value[] | { [key: string]: Value };

/**
 * What the status functions see. Jobs: GitHub evaluates a job's `if:` against every job it depends on,
 * directly or not (docs "Evaluate expressions", failure(): "If you have a chain of dependent jobs,
 * failure() returns true if any ancestor job fails"; a skipped ancestor two levels up skips a job whose
 * own need succeeded, actions/runner#2205). Steps: against the steps before it in the same job.
 */
export interface StatusContext {
  /** results of the ancestor jobs (job `if:`), or the conclusions of the previous steps (step `if:`) */
  results: string[];
  /** the run was cancelled */
  cancelled: boolean;
}

export function toData(value: Value | undefined): data.ExpressionData {
  if (value === null || value === undefined) return new data.Null();
  if (typeof value === 'string') return new data.StringData(value);
  if (typeof value === 'number') return new data.NumberData(value);
  if (typeof value === 'boolean') return new data.BooleanData(value);
  if (Array.isArray(value)) return new data.Array(...value.map(toData));
  const dict = new data.Dictionary();
  for (const [k, v] of Object.entries(value)) dict.add(k, toData(v));
  return dict;
}

export function fromData(d: data.ExpressionData): Value {
  switch (d.kind) {
    case data.Kind.String:
      return (d as data.StringData).value;
    case data.Kind.Number:
      return (d as data.NumberData).value;
    case data.Kind.Boolean:
      return (d as data.BooleanData).value;
    case data.Kind.Null:
      return null;
    case data.Kind.Array:
      return (d as data.Array).values().map(fromData);
    default: {
      const out: Record<string, Value> = {};
      for (const { key, value } of (d as data.Dictionary).pairs()) out[key] = fromData(value);
      return out;
    }
  }
}

const CONTEXT_NAMES = [
  'github',
  'inputs',
  'vars',
  'secrets',
  'needs',
  'env',
  'steps',
  'job',
  'jobs',
  'runner',
  'matrix',
  'strategy',
];

function statusFunctions(status: StatusContext | undefined): Map<string, FunctionDefinition> {
  const fn = (name: string, call: () => boolean): [string, FunctionDefinition] => [
    name,
    { name, minArgs: 0, maxArgs: 0, call: () => new data.BooleanData(call()) },
  ];
  const unavailable = (name: string) => () => {
    throw new Error(`${name}() is not available here`);
  };
  const results = status?.results;
  return new Map([
    // success(): nothing before it failed, was cancelled or (for jobs) skipped — GitHub skips a job whose
    // ancestor was skipped unless its if: has a status function (docs "Using jobs": "If a job fails or is
    // skipped, all jobs that need it are skipped unless the jobs use a conditional expression that causes
    // the job to continue").
    fn(
      'success',
      results ? () => !status.cancelled && results.every((r) => r === 'success') : unavailable('success'),
    ),
    fn('failure', results ? () => results.includes('failure') : unavailable('failure')),
    fn('cancelled', status ? () => status.cancelled : unavailable('cancelled')),
    fn('always', () => true),
    [
      'hashfiles',
      {
        name: 'hashFiles',
        minArgs: 1,
        maxArgs: 255,
        call: () => {
          throw new Error('hashFiles() is not emulated');
        },
      },
    ],
  ]);
}

export interface EvalContext {
  contexts: Record<string, Value>;
  status?: StatusContext;
}

/** Evaluate one expression (the text inside `${{ }}`). */
export function evaluateExpression(expression: string, ctx: EvalContext): Value {
  const functions = statusFunctions(ctx.status);
  const lexed = new Lexer(expression).lex();
  const parser = new Parser(
    lexed.tokens,
    CONTEXT_NAMES,
    [...functions.values()].map(({ name, minArgs, maxArgs }) => ({ name, minArgs, maxArgs })),
  );
  const tree = parser.parse();
  const dict = new data.Dictionary();
  for (const name of CONTEXT_NAMES) dict.add(name, toData(ctx.contexts[name] ?? {}));
  return fromData(new Evaluator(tree, dict, functions).evaluate());
}

/** An `if:` condition (already wrapped by the parser): its truthiness, as GitHub coerces it. */
export function evaluateCondition(expression: string, ctx: EvalContext): boolean {
  const functions = statusFunctions(ctx.status);
  const lexed = new Lexer(expression).lex();
  const parser = new Parser(
    lexed.tokens,
    CONTEXT_NAMES,
    [...functions.values()].map(({ name, minArgs, maxArgs }) => ({ name, minArgs, maxArgs })),
  );
  const dict = new data.Dictionary();
  for (const name of CONTEXT_NAMES) dict.add(name, toData(ctx.contexts[name] ?? {}));
  return truthy(new Evaluator(parser.parse(), dict, functions).evaluate());
}

/** A template token (literal, expression, mapping, sequence) to its value. */
export function evaluateToken(token: TemplateToken | undefined, ctx: EvalContext): Value {
  if (token === undefined) return null;
  if (isBasicExpression(token)) return evaluateExpression(token.expression, ctx);
  if (isString(token)) return token.value;
  if (isNumber(token)) return token.value;
  if (isBoolean(token)) return token.value;
  if (isMapping(token)) {
    const out: Record<string, Value> = {};
    for (const pair of token) out[String(evaluateToken(pair.key, ctx))] = evaluateToken(pair.value, ctx);
    return out;
  }
  if (isSequence(token)) {
    const out: Value[] = [];
    for (const item of token) out.push(evaluateToken(item, ctx));
    return out;
  }
  return null; // NullToken
}

/**
 * A value as an action input, a job output or an environment variable receives it: GitHub turns
 * expression results into strings (null → '', booleans → 'true'/'false', numbers in their JSON form;
 * objects and arrays in their JSON form, as toJSON would).
 */
export function asString(value: Value): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value, null, 2);
}
