/**
 * Read CloudFormation YAML (short-form intrinsic tags) and evaluate the intrinsics that matter for
 * checking policies offline: Ref, Fn::Sub, Fn::GetAtt, Fn::Join, Fn::Split, Fn::Select, Fn::If,
 * Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition, AWS::NoValue, and the rule functions Fn::Contains,
 * Fn::EachMemberEquals, Fn::EachMemberIn (for the template's Rules; see ruleViolations).
 */
import { readFileSync } from 'node:fs';
import { parse, type Tags } from 'yaml';

const SCALAR_OR_SEQ = [
  'Ref',
  'Sub',
  'GetAtt',
  'Join',
  'Split',
  'Select',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'Condition',
  'Base64',
  'GetAZs',
  'ImportValue',
  'FindInMap',
  'Cidr',
];

function longName(tag: string): string {
  return tag === 'Ref' || tag === 'Condition' ? tag : `Fn::${tag}`;
}

/** yaml custom tags turning `!Sub x` into `{ 'Fn::Sub': x }` (and `!GetAtt a.b` into `['a', 'b']`). */
export const CFN_TAGS: Tags = SCALAR_OR_SEQ.flatMap((name) => {
  const key = longName(name);
  const wrap = (value: unknown): Record<string, unknown> => {
    if (name === 'GetAtt' && typeof value === 'string') {
      const dot = value.indexOf('.');
      return { [key]: [value.slice(0, dot), value.slice(dot + 1)] };
    }
    return { [key]: value };
  };
  return [
    {
      tag: `!${name}`,
      collection: 'seq' as const,
      resolve: (seq: { toJSON(): unknown }) => wrap(seq.toJSON()),
    },
    {
      tag: `!${name}`,
      collection: 'map' as const,
      resolve: (map: { toJSON(): unknown }) => wrap(map.toJSON()),
    },
    { tag: `!${name}`, resolve: (str: string) => wrap(str) },
  ];
}) as Tags;

export interface CfnTemplate {
  Parameters?: Record<
    string,
    {
      Type: string;
      Default?: string;
      AllowedValues?: string[];
      AllowedPattern?: string;
      ConstraintDescription?: string;
    }
  >;
  Conditions?: Record<string, unknown>;
  Rules?: Record<string, CfnRule>;
  Resources: Record<string, { Type: string; Condition?: string; Properties?: Record<string, unknown> }>;
  Outputs?: Record<string, unknown>;
}

/** A template rule: when RuleCondition holds (or is absent), every Assert must hold. */
export interface CfnRule {
  RuleCondition?: unknown;
  Assertions: { Assert: unknown; AssertDescription?: string }[];
}

export function loadCloudFormation(file: string): CfnTemplate {
  return parse(readFileSync(file, 'utf8'), { customTags: CFN_TAGS }) as CfnTemplate;
}

export interface EvalContext {
  template: CfnTemplate;
  /** Parameter values (strings; CommaDelimitedList as comma-joined). Missing ones take their Default. */
  parameters: Record<string, string>;
  accountId: string;
  region: string;
  partition: string;
  /** Value of Fn::GetAtt [resource, attribute]; default a deterministic placeholder. */
  getAtt?: (resource: string, attribute: string) => string;
}

const NO_VALUE = Symbol('AWS::NoValue');

function param(ctx: EvalContext, name: string): string | string[] {
  const def = ctx.template.Parameters?.[name];
  const pseudo: Record<string, string> = {
    'AWS::AccountId': ctx.accountId,
    'AWS::Region': ctx.region,
    'AWS::Partition': ctx.partition,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': 'stack',
  };
  if (name in pseudo) return pseudo[name] as string;
  if (!def) return `{resource:${name}}`;
  const value = ctx.parameters[name] ?? def.Default;
  if (value === undefined) throw new Error(`parameter ${name} has no value and no default`);
  return def.Type === 'CommaDelimitedList' ? value.split(',').map((v) => v.trim()) : value;
}

export function condition(ctx: EvalContext, name: string): boolean {
  const c = ctx.template.Conditions?.[name];
  if (c === undefined) throw new Error(`no condition ${name}`);
  return evaluate(ctx, c) as boolean;
}

function sub(ctx: EvalContext, text: string, vars: Record<string, unknown>): string {
  return text.replace(/\$\{([^}!]+)\}/g, (_m, name: string) => {
    if (name in vars) return String(evaluate(ctx, vars[name]));
    if (name.includes('.') && !name.startsWith('AWS::')) {
      const [res = '', att = ''] = name.split('.');
      return getAtt(ctx, res, att);
    }
    const v = param(ctx, name);
    if (Array.isArray(v)) throw new Error(`\${${name}} is a list`);
    return v;
  });
}

function getAtt(ctx: EvalContext, resource: string, attribute: string): string {
  if (ctx.getAtt) return ctx.getAtt(resource, attribute);
  return `{${resource}.${attribute}}`;
}

/** Evaluate intrinsics in `value`; AWS::NoValue entries are dropped from lists and maps. */
export function evaluate(ctx: EvalContext, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => evaluate(ctx, v)).filter((v) => v !== NO_VALUE);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const k = keys[0] as string;
    const arg = obj[k];
    const args = Array.isArray(arg) ? arg : [arg];
    switch (k) {
      case 'Ref':
        return arg === 'AWS::NoValue' ? NO_VALUE : param(ctx, String(arg));
      case 'Condition':
        return condition(ctx, String(arg));
      case 'Fn::Sub':
        return Array.isArray(arg)
          ? sub(ctx, String(arg[0]), (arg[1] ?? {}) as Record<string, unknown>)
          : sub(ctx, String(arg), {});
      case 'Fn::GetAtt':
        return getAtt(ctx, String(args[0]), String(args[1]));
      case 'Fn::Join':
        return (evaluate(ctx, args[1]) as unknown[]).map(String).join(String(args[0]));
      case 'Fn::Split':
        return String(evaluate(ctx, args[1])).split(String(args[0]));
      case 'Fn::Select':
        return (evaluate(ctx, args[1]) as unknown[])[Number(evaluate(ctx, args[0]))];
      case 'Fn::If':
        return evaluate(ctx, condition(ctx, String(args[0])) ? args[1] : args[2]);
      case 'Fn::Equals':
        return JSON.stringify(evaluate(ctx, args[0])) === JSON.stringify(evaluate(ctx, args[1]));
      case 'Fn::Not':
        return !(evaluate(ctx, args[0]) as boolean);
      case 'Fn::And':
        return args.every((a) => evaluate(ctx, a) === true);
      case 'Fn::Or':
        return args.some((a) => evaluate(ctx, a) === true);
      // Rule functions (CloudFormation User Guide, "Rule functions").
      case 'Fn::Contains':
        return [evaluate(ctx, args[0])]
          .flat()
          .map(String)
          .includes(String(evaluate(ctx, args[1])));
      case 'Fn::EachMemberEquals':
        return [evaluate(ctx, args[0])].flat().every((v) => String(v) === String(evaluate(ctx, args[1])));
      case 'Fn::EachMemberIn': {
        const allowed = [evaluate(ctx, args[1])].flat().map(String);
        return [evaluate(ctx, args[0])].flat().every((v) => allowed.includes(String(v)));
      }
      default:
        if (k.startsWith('Fn::')) throw new Error(`${k} is not evaluated here`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const e = evaluate(ctx, v);
    if (e !== NO_VALUE) out[k] = e;
  }
  return out;
}

/**
 * The AssertDescription of every rule assertion that fails for these parameters (CloudFormation refuses
 * to create or update the stack when any does). Empty when the parameters pass.
 */
export function ruleViolations(ctx: EvalContext): string[] {
  const out: string[] = [];
  for (const [name, rule] of Object.entries(ctx.template.Rules ?? {})) {
    if (rule.RuleCondition !== undefined && evaluate(ctx, rule.RuleCondition) !== true) continue;
    for (const a of rule.Assertions) {
      if (evaluate(ctx, a.Assert) !== true) out.push(`${name}: ${a.AssertDescription ?? '(no description)'}`);
    }
  }
  return out;
}
