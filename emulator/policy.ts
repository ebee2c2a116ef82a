/** The subset of IAM policy evaluation a role trust policy for GitHub OIDC needs. */

export interface TrustRequest {
  /** ARN of the OIDC provider the token's issuer maps to */
  providerArn: string;
  action: string;
  /** condition context, e.g. `token.actions.githubusercontent.com:sub` → value */
  context: Record<string, string | undefined>;
}

function asArray(v: unknown): unknown[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** IAM `StringLike`: `*` matches any run of characters, `?` one character; case-sensitive. */
export function stringLike(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's').test(value);
}

function matchAction(pattern: string, action: string): boolean {
  return stringLike(pattern.toLowerCase(), action.toLowerCase());
}

type Test = (pattern: string, value: string) => boolean;

const OPERATORS: Record<string, { test: Test; negate: boolean }> = {
  StringEquals: { test: (p, v) => p === v, negate: false },
  StringNotEquals: { test: (p, v) => p === v, negate: true },
  StringEqualsIgnoreCase: { test: (p, v) => p.toLowerCase() === v.toLowerCase(), negate: false },
  StringNotEqualsIgnoreCase: { test: (p, v) => p.toLowerCase() === v.toLowerCase(), negate: true },
  StringLike: { test: stringLike, negate: false },
  StringNotLike: { test: stringLike, negate: true },
};

/** Evaluate one condition block; every operator and key must hold. Unknown operators never match. */
function conditionHolds(condition: unknown, context: Record<string, string | undefined>): boolean {
  if (condition === undefined) return true;
  if (typeof condition !== 'object' || condition === null) return false;
  for (const [rawOp, block] of Object.entries(condition)) {
    let op = rawOp;
    let ifExists = false;
    if (op.startsWith('ForAnyValue:')) op = op.slice('ForAnyValue:'.length);
    else if (op.startsWith('ForAllValues:')) op = op.slice('ForAllValues:'.length);
    if (op.endsWith('IfExists')) {
      ifExists = true;
      op = op.slice(0, -'IfExists'.length);
    }
    const spec = OPERATORS[op];
    if (!spec || typeof block !== 'object' || block === null) return false;
    for (const [key, patterns] of Object.entries(block as Record<string, unknown>)) {
      // condition keys are case-insensitive in IAM
      const ctxKey = Object.keys(context).find((k) => k.toLowerCase() === key.toLowerCase());
      const value = ctxKey === undefined ? undefined : context[ctxKey];
      if (value === undefined) {
        if (ifExists || spec.negate) continue;
        return false;
      }
      const any = asArray(patterns).some((p) => typeof p === 'string' && spec.test(p, value));
      if (spec.negate ? any : !any) return false;
    }
  }
  return true;
}

function statementApplies(st: Record<string, unknown>, req: TrustRequest): boolean {
  const principal = st.Principal as Record<string, unknown> | string | undefined;
  const principalOk =
    principal === '*' ||
    (typeof principal === 'object' &&
      principal !== null &&
      asArray(principal.Federated).some((p) => p === req.providerArn));
  if (!principalOk) return false;
  if (!asArray(st.Action).some((a) => typeof a === 'string' && matchAction(a, req.action))) return false;
  return conditionHolds(st.Condition, req.context);
}

/** Allowed when some Allow statement applies and no Deny statement does. */
export function trustAllows(policy: unknown, req: TrustRequest): boolean {
  if (typeof policy !== 'object' || policy === null) return false;
  const statements = asArray((policy as Record<string, unknown>).Statement).filter(
    (s): s is Record<string, unknown> => typeof s === 'object' && s !== null,
  );
  if (statements.some((s) => s.Effect === 'Deny' && statementApplies(s, req))) return false;
  return statements.some((s) => s.Effect === 'Allow' && statementApplies(s, req));
}
