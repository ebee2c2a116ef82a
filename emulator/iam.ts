/**
 * IAM for calls signed with credentials of an assumed role that carries identity policies (seeded from
 * infra/github-oidc-roles.yml, emulator/iam-template.ts): every ECS, CodeDeploy and ELBv2 call is evaluated
 * with @cloud-copilot/iam-simulate against the resources and condition keys of emulator/iam-resources.ts,
 * and a denied one is answered with AccessDenied in the protocol's shape and AWS's wording. Calls signed
 * otherwise (the static test key, a role seeded without policies) are allowed as before.
 */
import { appendFileSync } from 'node:fs';
import { runSimulation, type RunSimulationResults } from '@cloud-copilot/iam-simulate';
import { authorizationChecks, type AuthorizationCheck, type AuthorizedService } from './iam-resources.js';
import type { IdentityPolicy } from './iam-template.js';
import { ApiError } from './protocol.js';
import type { EmulatorState, Role } from './state.js';

/** One authorization the emulator made for a role's call. */
export interface IamDecision {
  /** the role's name (github-deploy-web-dev) */
  role: string;
  action: string;
  resource: string;
  allowed: boolean;
  /** Sid of the statement that allowed it (policy name when it has none) */
  grantedBy?: string;
  /** virtual time of the call */
  at: number;
}

/**
 * The AccessDenied message for an implicit deny. ECS and CodeDeploy name the resource (`*` for an action
 * that takes none); ELBv2 names none (docs/aws-behaviours.md, "IAM authorization").
 */
export function accessDeniedMessage(
  service: AuthorizedService,
  callerArn: string,
  check: Pick<AuthorizationCheck, 'action' | 'resource'>,
): string {
  const on = service === 'elbv2' ? '' : ` on resource: ${check.resource}`;
  return `User: ${callerArn} is not authorized to perform: ${check.action}${on} because no identity-based policy allows the ${check.action} action`;
}

/** AccessDenied as each protocol answers it: awsJson1_1 `AccessDeniedException`, awsQuery (ELBv2) `AccessDenied`. */
export function accessDenied(service: AuthorizedService, message: string): ApiError {
  return service === 'elbv2'
    ? new ApiError('AccessDenied', message, 403)
    : new ApiError('AccessDeniedException', message, 400);
}

interface Verdict {
  allowed: boolean;
  grantedBy?: string;
}

function verdictOf(result: RunSimulationResults): Verdict {
  if (result.resultType === 'error')
    throw new Error(
      `emulator IAM: the simulation refused its input: ${result.errors.message} ${JSON.stringify(result.errors)}`,
    );
  if (result.overallResult !== 'Allowed') return { allowed: false };
  const analyses = result.resultType === 'single' ? [result.result] : result.results;
  for (const a of analyses) {
    const s = a.analysis.identityAnalysis?.allowStatements[0];
    if (s) return { allowed: true, grantedBy: s.statement.sid() ?? s.policyId };
  }
  return { allowed: true };
}

export class IamAuthorizer {
  private readonly log: IamDecision[] = [];
  private readonly cache = new WeakMap<IdentityPolicy[], Map<string, Verdict>>();

  constructor(
    private readonly state: EmulatorState,
    /** also append each decision to this file as a JSON line */
    private readonly logFile?: string,
  ) {}

  private warm?: Promise<void>;

  /**
   * Load the SAR data and the simulator once, before the first call needs them (about 50 ms cold), so that
   * a session's first call is not slower than AWS's by that much on the virtual clock.
   */
  warmUp(): Promise<void> {
    this.warm ??= (async () => {
      const state = this.state;
      const checks = [
        ...(await authorizationChecks(state, 'ecs', 'DescribeServices', { cluster: 'c', services: ['s'] })),
        ...(await authorizationChecks(state, 'codedeploy', 'GetDeploymentConfig', {
          deploymentConfigName: 'x',
        })),
        ...(await authorizationChecks(state, 'elbv2', 'DescribeRules', {})),
      ];
      for (const check of checks)
        await this.evaluate([], `arn:aws:iam::${state.accountId}:role/warm-up`, check);
    })().catch(() => undefined);
    return this.warm;
  }

  decisions(): IamDecision[] {
    return [...this.log];
  }

  clear(): void {
    this.log.length = 0;
  }

  /** The role behind these credentials when IAM applies to it; undefined keeps the allow-all default. */
  private enforcedRole(
    accessKeyId: string | undefined,
  ): { role: Role; policies: IdentityPolicy[]; callerArn: string } | undefined {
    const issued = accessKeyId ? this.state.credentials.get(accessKeyId) : undefined;
    const role = issued?.roleArn ? this.state.roles.get(issued.roleArn) : undefined;
    if (!issued || !role?.policies) return undefined;
    return { role, policies: role.policies, callerArn: issued.arn };
  }

  /** Throws AccessDenied when the caller's role may not make this call. */
  async authorize(
    service: AuthorizedService,
    operation: string,
    input: Record<string, unknown>,
    accessKeyId: string | undefined,
    now: number,
  ): Promise<void> {
    const who = this.enforcedRole(accessKeyId);
    if (!who) return;
    let checks: AuthorizationCheck[];
    try {
      checks = await authorizationChecks(this.state, service, operation, input);
    } catch (e) {
      if (e instanceof ApiError) throw e;
      // A gap in the emulator's model: a client error the test sees, never a 5xx the SDK would retry.
      throw new ApiError('EmulatorIamModelError', (e as Error).message, 400);
    }
    for (const check of checks) {
      const verdict = await this.evaluate(who.policies, who.role.arn, check);
      const decision: IamDecision = {
        role: who.role.name,
        action: check.action,
        resource: check.resource,
        allowed: verdict.allowed,
        ...(verdict.grantedBy ? { grantedBy: verdict.grantedBy } : {}),
        at: now,
      };
      this.log.push(decision);
      if (this.logFile) appendFileSync(this.logFile, `${JSON.stringify(decision)}\n`);
      if (!verdict.allowed) throw accessDenied(service, accessDeniedMessage(service, who.callerArn, check));
    }
  }

  private async evaluate(
    policies: IdentityPolicy[],
    principal: string,
    check: AuthorizationCheck,
  ): Promise<Verdict> {
    let byKey = this.cache.get(policies);
    if (!byKey) this.cache.set(policies, (byKey = new Map()));
    const key = JSON.stringify(check);
    const cached = byKey.get(key);
    if (cached) return cached;
    const result = await runSimulation(
      {
        identityPolicies: policies.map((p) => ({ name: p.name, policy: p.document })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        request: {
          action: check.action,
          principal,
          resource: { resource: check.resource, accountId: this.state.accountId },
          contextVariables: check.context,
        },
      },
      { simulationMode: 'Strict' },
    );
    const verdict = verdictOf(result);
    byKey.set(key, verdict);
    return verdict;
  }
}
