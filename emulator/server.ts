/** The HTTP front door: tells the services apart, applies credentials checks, IAM and faults, records every call. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { applies, decide, type Faults, type FaultService } from './faults.js';
import type { OidcIssuer } from './oidc.js';
import { ApiError, queryError, queryResponse, type JsonHandler, type RequestContext } from './protocol.js';
import { uuid, type EmulatorState } from './state.js';
import type { QueryHandler } from './sts.js';
import { STS_NAMESPACE } from './sts.js';
import { ELB_NAMESPACE } from './elbv2.js';
import type { Unkindness } from './unkind.js';
import type { IamAuthorizer } from './iam.js';

export type CallService = 'ecs' | 'codedeploy' | 'sts' | 'elbv2' | 'oidc';

export interface CallRecord {
  service: CallService;
  action: string;
  at: number;
  accessKeyId?: string;
  /** the caller's User-Agent header (the AWS SDK puts the Node version in it: md/nodejs#24.x.y) */
  userAgent?: string;
  status: number;
  error?: string;
}

export interface ServerDeps {
  state: EmulatorState;
  now: () => number;
  advance: (now: number) => void;
  faults: () => Faults;
  oidc: OidcIssuer;
  calls: CallRecord[];
  ecs: Record<string, JsonHandler>;
  codedeploy: Record<string, JsonHandler>;
  sts: Record<string, QueryHandler>;
  elbv2: Record<string, QueryHandler>;
  staticAccessKeyId: string;
  requireKnownCredentials: boolean;
  /** the account-wide rate limit and lost answers (unkind.ts) */
  unkind?: Unkindness;
  /** IAM for sessions of roles seeded with policies (iam.ts): checked once the operation and its input are known */
  iam?: IamAuthorizer;
}

const JSON_TYPE = 'application/x-amz-json-1.1';
const TARGETS: Record<string, 'ecs' | 'codedeploy'> = {
  AmazonEC2ContainerServiceV20141113: 'ecs',
  CodeDeploy_20141006: 'codedeploy',
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/ecs/aws4_request, …` */
export function accessKeyFrom(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth !== 'string') return undefined;
  return /Credential=([^/,\s]+)\//.exec(auth)?.[1];
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': uuid(),
  });
  res.end(body);
}

export function createEmulatorServer(deps: ServerDeps): Server {
  const server = createServer((req, res) => {
    handle(deps, req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `emulator error: ${(e as Error).message}`);
    });
  });
  return server;
}

function checkCredentials(deps: ServerDeps, key: string | undefined, now: number): void {
  if (!deps.requireKnownCredentials) return;
  if (key === undefined)
    throw new ApiError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
  if (key === deps.staticAccessKeyId) return;
  const issued = deps.state.credentials.get(key);
  if (!issued)
    throw new ApiError(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
      400,
    );
  if (issued.expiration <= now)
    throw new ApiError('ExpiredTokenException', 'The security token included in the request is expired', 400);
}

function callerArn(deps: ServerDeps, key: string | undefined): string {
  const issued = key ? deps.state.credentials.get(key) : undefined;
  return issued?.arn ?? `arn:aws:iam::${deps.state.accountId}:user/emulator`;
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const body = await readBody(req);
  const accessKeyId = accessKeyFrom(req);

  if (url.pathname === '/_oidc/token') return oidcToken(deps, req, res, url);
  if (url.pathname === '/.well-known/openid-configuration') {
    const base = `http://${req.headers.host ?? '127.0.0.1'}`;
    return send(
      res,
      200,
      'application/json',
      JSON.stringify({
        issuer: deps.oidc.claims().iss,
        jwks_uri: `${base}/.well-known/jwks`,
        id_token_signing_alg_values_supported: ['RS256'],
      }),
    );
  }
  if (url.pathname === '/.well-known/jwks')
    return send(res, 200, 'application/json', JSON.stringify(deps.oidc.jwks()));

  const target = req.headers['x-amz-target'];
  let service: FaultService;
  let action: string;
  let query: URLSearchParams | undefined;
  if (req.method === 'POST' && typeof target === 'string') {
    const [prefix, op] = target.split('.');
    const svc = TARGETS[prefix ?? ''];
    if (!svc || !op) {
      return send(
        res,
        400,
        JSON_TYPE,
        JSON.stringify({ __type: 'UnknownOperationException', message: `Unknown target ${target}` }),
      );
    }
    service = svc;
    action = op;
  } else if (req.method === 'POST') {
    query = new URLSearchParams(body);
    const version = query.get('Version');
    if (version === '2011-06-15') service = 'sts';
    else if (version === '2015-12-01') service = 'elbv2';
    else
      return send(
        res,
        400,
        'text/xml',
        queryError(
          new ApiError('InvalidAction', `Unsupported Version ${version ?? '(none)'}`),
          STS_NAMESPACE,
          uuid(),
        ),
      );
    action = query.get('Action') ?? '';
  } else {
    return send(res, 404, 'text/plain', 'not found');
  }

  const now = deps.now();
  const record: CallRecord = {
    service,
    action,
    at: now,
    status: 200,
    ...(accessKeyId ? { accessKeyId } : {}),
    ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
  };
  deps.calls.push(record);
  const faults = deps.faults();
  if (faults.slowMs > 0 && applies(faults, service, action))
    await new Promise((r) => setTimeout(r, faults.slowMs));
  const limited = deps.unkind?.admit(service, action, body, accessKeyId, now);
  const decision = limited ? { kind: 'error' as const, error: limited } : decide(faults, service, action);
  if (decision.kind === 'drop') {
    record.status = 0;
    record.error = 'dropped';
    req.socket.destroy();
    return;
  }

  const requestId = uuid();
  const isQuery = query !== undefined;
  const namespace = service === 'sts' ? STS_NAMESPACE : ELB_NAMESPACE;
  try {
    if (decision.kind === 'error') throw decision.error;
    const nowAfterDelay = deps.now();
    deps.advance(nowAfterDelay);
    const ctx: RequestContext = {
      ...(accessKeyId ? { accessKeyId } : {}),
      callerArn: callerArn(deps, accessKeyId),
      now: nowAfterDelay,
    };
    if (service === 'ecs' || service === 'codedeploy' || service === 'elbv2')
      checkCredentials(deps, accessKeyId, nowAfterDelay);
    if (!isQuery) {
      const handler = (service === 'ecs' ? deps.ecs : deps.codedeploy)[action];
      if (!handler)
        throw new ApiError(
          'UnknownOperationException',
          `The operation ${action} is not supported by the emulator.`,
        );
      let input: Record<string, unknown>;
      try {
        const parsed: unknown = body === '' ? {} : JSON.parse(body);
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('not an object');
        input = parsed as Record<string, unknown>;
      } catch {
        throw new ApiError('SerializationException', 'The request body is not a JSON object.');
      }
      await deps.iam?.authorize(service as 'ecs' | 'codedeploy', action, input, accessKeyId, nowAfterDelay);
      const out = handler(input, ctx);
      const lost = deps.unkind?.loseAnswer(action, req, res);
      if (lost) {
        record.status = lost === 'drop' ? 0 : 500;
        record.error = lost === 'drop' ? 'answer-lost-dropped' : 'answer-lost-InternalFailure';
        return;
      }
      send(res, 200, JSON_TYPE, JSON.stringify(out ?? {}));
    } else {
      const handler = (service === 'sts' ? deps.sts : deps.elbv2)[action];
      if (!handler)
        throw new ApiError('InvalidAction', `The action ${action} is not valid for this web service.`);
      if (service === 'elbv2')
        await deps.iam?.authorize('elbv2', action, Object.fromEntries(query!), accessKeyId, nowAfterDelay);
      const out = handler(query!, ctx);
      send(res, 200, 'text/xml', queryResponse(action, namespace, out, requestId));
    }
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    record.status = e.status;
    record.error = e.code;
    if (isQuery) send(res, e.status, 'text/xml', queryError(e, namespace, requestId));
    else send(res, e.status, JSON_TYPE, JSON.stringify({ __type: e.code, message: e.message }));
  }
}

function oidcToken(deps: ServerDeps, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const record: CallRecord = { service: 'oidc', action: 'GetIDToken', at: deps.now(), status: 200 };
  deps.calls.push(record);
  const auth = req.headers.authorization;
  const audience = url.searchParams.get('audience') ?? undefined;
  const claims = auth?.startsWith('Bearer ')
    ? deps.oidc.claimsForRequest(auth.slice(7), audience)
    : undefined;
  if (!claims) {
    record.status = 401;
    record.error = 'Unauthorized';
    return send(res, 401, 'application/json', JSON.stringify({ message: 'Bad credentials' }));
  }
  if (req.method !== 'GET' && req.method !== 'POST') {
    record.status = 405;
    return send(res, 405, 'application/json', JSON.stringify({ message: 'Method not allowed' }));
  }
  const token = deps.oidc.sign(claims);
  send(res, 200, 'application/json', JSON.stringify({ count: 1, value: token }));
}

export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
