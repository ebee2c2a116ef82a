/** Wire-protocol helpers shared by the service handlers: errors, awsJson1_1 and awsQuery (XML) bodies. */

/** An error the emulator returns the way the real service does. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** awsQuery `<Type>`: Sender for client faults, Receiver for server faults */
    readonly type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
  }
}

export interface HandlerResult {
  status?: number;
  body: unknown;
}

export type JsonHandler = (input: Record<string, unknown>, ctx: RequestContext) => unknown;

export interface RequestContext {
  accessKeyId?: string;
  /** ARN of the caller (issued session or the static test user) */
  callerArn: string;
  now: number;
}

function escapeXml(s: string): string {
  return s.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );
}

/**
 * Serialise a value as awsQuery XML members: objects become elements, arrays become `<member>` lists,
 * undefined is left out.
 */
export function toXml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => `<member>${toXml(v)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `<${k}>${toXml(v)}</${k}>`)
      .join('');
  }
  return escapeXml(String(value));
}

export function queryResponse(action: string, namespace: string, result: unknown, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<${action}Response xmlns="${namespace}">` +
    (result === undefined ? '' : `<${action}Result>${toXml(result)}</${action}Result>`) +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
    `</${action}Response>`
  );
}

export function queryError(err: ApiError, namespace: string, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<ErrorResponse xmlns="${namespace}"><Error><Type>${err.type}</Type><Code>${escapeXml(err.code)}</Code>` +
    `<Message>${escapeXml(err.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

/** Collect awsQuery list parameters `Name.member.1`, `Name.member.2`, … in order. */
export function queryList(params: URLSearchParams, name: string): string[] {
  const out: { i: number; v: string }[] = [];
  for (const [k, v] of params) {
    const m = new RegExp(`^${name.replace(/\./g, '\\.')}\\.member\\.(\\d+)$`).exec(k);
    if (m) out.push({ i: Number(m[1]), v });
  }
  return out.sort((a, b) => a.i - b.i).map((e) => e.v);
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function requireString(
  input: Record<string, unknown>,
  key: string,
  code: string,
  message: string,
): string {
  const v = input[key];
  if (typeof v !== 'string' || v.length === 0) throw new ApiError(code, message);
  return v;
}
