/**
 * The jobs of the reusable workflows that run the action's bundles, the role of infra/github-oidc-roles.yml
 * each assumes and the OIDC claims of its token, and the stack parameters of that template for one service
 * of the emulator's account. Shared by the e2e harness, the unit tests of the roles and the demo.
 */
import type { OidcClaims } from './oidc.js';
import type { RoleKey } from './iam-template.js';

export const REPOSITORY = 'acme/web';
/** Where the application's workflows call the reusable workflows (the template's WorkflowRepository/WorkflowRef). */
export const WORKFLOW_REPOSITORY = 'acme-platform/ecs-codedeploy-action';
export const WORKFLOW_REF = 'refs/tags/v1';

/** A job of the reusable workflows that runs a bundle: the role it assumes and the OIDC claims of its token. */
export interface Job {
  role: RoleKey;
  /** the job's GitHub environment; none: the main branch */
  environment?: string;
  /** the workflow file in .github/workflows/ that holds the job (job_workflow_ref) */
  workflow: string;
}

export const JOBS = {
  /** deploy-dev.yml → _deploy.yml's deploy job, environment dev */
  dev: { role: 'dev', environment: 'dev', workflow: '_deploy.yml' },
  /** deploy-prod.yml → _deploy.yml's deploy job (with the test gate), environment production */
  prod: { role: 'prod', environment: 'production', workflow: '_deploy.yml' },
  /** deploy-prod.yml's plan job, on main */
  plan: { role: 'prodPlan', workflow: 'deploy-prod.yml' },
  /** deploy-prod.yml's promote job, environment production-reroute */
  promote: { role: 'prodPromote', environment: 'production-reroute', workflow: 'deploy-prod.yml' },
  /** operate.yml (promote, roll back) in production-reroute: the promote role */
  operateReroute: { role: 'prodPromote', environment: 'production-reroute', workflow: 'operate.yml' },
  /** operate.yml in production (roll back by redeploying the previous revision): the production deploy role */
  operateProd: { role: 'prod', environment: 'production', workflow: 'operate.yml' },
} satisfies Record<string, Job>;
export type JobName = keyof typeof JOBS;

/** The job a bundle runs in unless a test says otherwise. */
export function defaultJob(entry: string): JobName {
  if (entry.startsWith('dist/promote')) return 'promote';
  if (entry.startsWith('dist/rollback')) return 'operateReroute';
  if (entry.startsWith('dist/plan')) return 'plan';
  return 'dev';
}

/** The OIDC subject of a job (the repository customizes it with include_claim_keys repo, context, job_workflow_ref). */
export function jobClaims(job: Job): Partial<OidcClaims> {
  const context = job.environment ? `environment:${job.environment}` : 'ref:refs/heads/main';
  const jobWorkflowRef = `${WORKFLOW_REPOSITORY}/.github/workflows/${job.workflow}@${WORKFLOW_REF}`;
  return {
    repository: REPOSITORY,
    ref: 'refs/heads/main',
    ...(job.environment ? { environment: job.environment } : {}),
    job_workflow_ref: jobWorkflowRef,
    sub: `repo:${REPOSITORY}:${context}:job_workflow_ref:${jobWorkflowRef}`,
  };
}

/** The service the roles are scoped to (the template's CodeDeployApplicationName, EcsClusterName, …). */
export interface RoleScope {
  cluster: string;
  service: string;
  family: string;
  application?: string;
}

/** The stack parameters of infra/github-oidc-roles.yml for one service in the emulator's account. */
export function stackParameters(
  acct: string,
  scope: RoleScope,
  extra: Record<string, string> = {},
): Record<string, string> {
  const [org, repo] = REPOSITORY.split('/') as [string, string];
  return {
    GitHubOrg: org,
    GitHubRepo: repo,
    BuildAccountId: acct,
    DevAccountId: acct,
    ProdAccountId: acct,
    WorkflowRepository: WORKFLOW_REPOSITORY,
    WorkflowRef: WORKFLOW_REF,
    CreateBuildRole: 'true',
    CreateDevDeployRole: 'true',
    CreateProdDeployRole: 'true',
    CreateProdPlanRole: 'true',
    // the execution role of taskDefinitionFile (emulator/scenario.ts) and a task role
    PassRoleArns: `arn:aws:iam::${acct}:role/web-execution,arn:aws:iam::${acct}:role/web-task`,
    CodeDeployApplicationName: scope.application ?? `AppECS-${scope.cluster}-${scope.service}`,
    EcsClusterName: scope.cluster,
    EcsServiceName: scope.service,
    TaskDefinitionFamily: scope.family,
    ...extra,
  };
}
