/**
 * House rules for the reusable workflows and the caller templates, checked on the YAML as written.
 */
import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { OWN_REPOSITORY, REPO_ROOT, workflowFiles } from '../../../scripts/validate-workflows.js';

type Json = Record<string, unknown>;
interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  uses?: string;
  needs?: string | string[];
  permissions?: Record<string, string> | string;
  environment?: string | { name: string; url?: string };
  concurrency?: string | { group: string; 'cancel-in-progress'?: boolean; queue?: string };
  with?: Record<string, unknown>;
  steps?: Step[];
}
interface Workflow {
  on: Json;
  permissions?: unknown;
  jobs: Record<string, Job>;
}

const read = (file: string): string => readFileSync(path.join(REPO_ROOT, file), 'utf8');
const load = (file: string): Workflow => parse(read(file)) as Workflow;
const files = workflowFiles();
const workflows = files.map((file) => ({ file, wf: load(file) }));
const allJobs = workflows.flatMap(({ file, wf }) =>
  Object.entries(wf.jobs).map(([id, job]) => ({ file, id, job })),
);

const ownPrefix = `${OWN_REPOSITORY}`;
const SUB_ACTIONS = ['', 'plan', 'promote', 'rollback'] as const;
/**
 * '' for the deploy action, 'plan'/'promote'/'rollback' for a sub-action, undefined for anything else.
 * This repository's workflows name them `$/.`, `$/plan`, …; the templates by the published repository.
 */
function ownAction(uses: string | undefined): string | undefined {
  if (!uses) return undefined;
  if (uses.startsWith('$/')) {
    const sub = uses === '$/.' ? '' : uses.slice(2);
    return (SUB_ACTIONS as readonly string[]).includes(sub) ? sub : undefined;
  }
  const m = /^([^@]+)@(.+)$/.exec(uses);
  if (!m || !m[1]) return undefined;
  if (m[1] === ownPrefix) return '';
  const sub = m[1].startsWith(`${ownPrefix}/`) ? m[1].slice(ownPrefix.length + 1) : undefined;
  return sub !== undefined && (SUB_ACTIONS as readonly string[]).includes(sub) ? sub : undefined;
}
const isOwnWorkflow = (uses: string | undefined): boolean =>
  !!uses && (uses.startsWith('$/.github/workflows/') || uses.startsWith(`${ownPrefix}/.github/workflows/`));
const calledFile = (uses: string): string =>
  `.github/workflows/${uses.replace(/^.*\.github\/workflows\//, '').replace(/@.*$/, '')}`;

interface ActionInput {
  required?: boolean;
  default?: string;
}
const actionInputs = (sub: string): Record<string, ActionInput> =>
  (parse(read(path.join(sub, 'action.yml'))) as { inputs: Record<string, ActionInput> }).inputs;

/** Does this job (or the workflow it calls) assume an AWS role through OIDC? */
function assumesRole(job: Job, seen = new Set<string>()): boolean {
  if (job.uses) {
    if (!isOwnWorkflow(job.uses) && !job.uses.startsWith('./')) return true; // unknown: be permissive
    const f = calledFile(job.uses);
    if (seen.has(f)) return false;
    seen.add(f);
    return Object.values(load(f).jobs).some((j) => assumesRole(j, seen));
  }
  return (job.steps ?? []).some(
    (s) =>
      (s.uses?.startsWith('aws-actions/configure-aws-credentials@') || ownAction(s.uses) !== undefined) &&
      typeof s.with?.['role-to-assume'] === 'string' &&
      s.with['role-to-assume'] !== '',
  );
}

const DEPLOYING = new Set(['', 'promote', 'rollback']);
// Jobs that deploy, promote or roll back with a role (ci.yml's as-a-step smoke test assumes none).
const deployJobs = allJobs.filter(({ job }) =>
  (job.steps ?? []).some(
    (s) => DEPLOYING.has(ownAction(s.uses) ?? 'x') && s.with?.['role-to-assume'] !== undefined,
  ),
);

describe('workflow policy', () => {
  it('checks the files it should', () => {
    expect(allJobs.length).toBeGreaterThanOrEqual(8);
    expect(deployJobs.map(({ file, id }) => `${file}#${id}`).sort()).toEqual([
      '.github/workflows/_deploy.yml#deploy',
      '.github/workflows/deploy-prod.yml#promote',
      '.github/workflows/deploy-prod.yml#rollback',
      '.github/workflows/operate.yml#operate',
    ]);
  });

  it.each(allJobs.map((j) => [`${j.file}#${j.id}`, j] as const))(
    '%s declares explicit, minimal permissions',
    (_name, { job }) => {
      expect(typeof job.permissions).toBe('object');
      // No actions: write anywhere: the build's type=gha layer cache authenticates with the runner's
      // ACTIONS_RUNTIME_TOKEN, not GITHUB_TOKEN (Docker docs, "GitHub Actions cache"; docs/security.md).
      const allowed: Record<string, string[]> = {
        contents: ['read'],
        'id-token': ['write'],
      };
      for (const [scope, level] of Object.entries(job.permissions as Record<string, string>)) {
        expect({ scope, level, allowed: allowed[scope] ?? [] }).toEqual({
          scope,
          level,
          allowed: expect.arrayContaining([level]),
        });
      }
    },
  );

  it.each(allJobs.map((j) => [`${j.file}#${j.id}`, j] as const))(
    '%s has id-token: write exactly when it assumes a role',
    (_name, { job }) => {
      const perms = job.permissions as Record<string, string>;
      expect(perms['id-token'] === 'write').toBe(assumesRole(job));
    },
  );

  it('workflows that are triggered (not called) grant nothing at the top level', () => {
    for (const { file, wf } of workflows) {
      if ('workflow_call' in (wf.on ?? {})) continue;
      expect({ file, permissions: wf.permissions }).toEqual({ file, permissions: {} });
    }
  });

  it('this repository’s workflows reach its own action, sub-actions and workflows only by $/; templates by the published repository at the major', () => {
    const major = (JSON.parse(read('package.json')) as { version: string }).version.split('.')[0];
    const own: { file: string; uses: string }[] = [];
    for (const file of files) {
      for (const line of read(file).split('\n')) {
        const uses = /^\s*(?:-\s+)?uses:\s*(\S+)/.exec(line)?.[1];
        if (!uses) continue;
        const mine =
          uses.startsWith('$/') ||
          uses.startsWith('./') ||
          uses.startsWith(`${OWN_REPOSITORY}/`) ||
          uses.startsWith(`${OWN_REPOSITORY}@`);
        if (!mine) continue;
        own.push({ file, uses });
        if (file.startsWith('.github/workflows/')) {
          // `./` would be the caller's checkout; owner/repo@tag would pin nothing and break forks.
          expect({ file, uses }).toEqual({
            file,
            uses: expect.stringMatching(/^\$\/(\.|plan|promote|rollback|\.github\/workflows\/[\w-]+\.yml)$/),
          });
        } else {
          expect({ file, uses }).toEqual({
            file,
            uses: expect.stringMatching(new RegExp(`^${OWN_REPOSITORY}/.*@v${major}$`)),
          });
        }
      }
    }
    expect(own.filter((o) => o.file.startsWith('.github/workflows/')).length).toBeGreaterThanOrEqual(7);
    expect(own.filter((o) => o.file.startsWith('workflows-templates/')).length).toBe(4);
    // Every $/ path exists in this repository.
    for (const { uses } of own.filter((o) => o.uses.startsWith('$/'))) {
      const rel = uses.slice(2);
      const target = rel.startsWith('.github/') ? rel : path.join(rel, 'action.yml');
      expect({ uses, exists: existsSync(path.join(REPO_ROOT, target)) }).toEqual({ uses, exists: true });
    }
  });

  // Each the newest release that runs on node24 (its action.yml says `using: node24`), the SHA being the
  // commit its release tag names (annotated tags peeled), read from the action's repository.
  const PINNED: Record<string, string> = {
    'actions/checkout': '3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1',
    'actions/setup-node': '820762786026740c76f36085b0efc47a31fe5020 # v7.0.0',
    'aws-actions/configure-aws-credentials': 'e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3',
    'aws-actions/amazon-ecr-login': '03f1aad4c6c7ffd436567f42f9384779290529bd # v2.1.7',
    'docker/setup-buildx-action': '37fe631027851001ddb9b187196cc803df7f5f0e # v4.3.0',
    'docker/build-push-action': '53b7df96c91f9c12dcc8a07bcb9ccacbed38856a # v7.3.0',
  };

  it('third-party actions are pinned by full SHA to their reviewed node24 release', () => {
    const seen = new Set<string>();
    for (const file of files) {
      for (const line of read(file).split('\n')) {
        const m = /^\s*(?:-\s+)?uses:\s*([^@\s]+)@(\S+)(.*)$/.exec(line);
        if (!m || !m[1] || m[1].startsWith('$/') || m[1].startsWith(OWN_REPOSITORY)) continue;
        seen.add(m[1]);
        expect({ file, action: m[1], pin: `${m[2]}${m[3]}`.trim() }).toEqual({
          file,
          action: m[1],
          pin: PINNED[m[1]] ?? 'an action nobody reviewed',
        });
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(PINNED).sort());
  });

  it('every checkout leaves no credentials behind (persist-credentials: false)', () => {
    let checkouts = 0;
    for (const { file, id, job } of allJobs) {
      for (const step of job.steps ?? []) {
        if (!step.uses?.startsWith('actions/checkout@')) continue;
        checkouts++;
        expect({ file, id, persist: step.with?.['persist-credentials'] }).toEqual({
          file,
          id,
          persist: false,
        });
      }
    }
    expect(checkouts).toBeGreaterThanOrEqual(4);
  });

  it('Dependabot updates the pinned actions and the npm dependencies', () => {
    const config = parse(read('.github/dependabot.yml')) as {
      version: number;
      updates: { 'package-ecosystem': string; directory?: string; directories?: string[] }[];
    };
    expect(config.version).toBe(2);
    expect(config.updates.map((u) => u['package-ecosystem']).sort()).toEqual(['github-actions', 'npm']);
    for (const u of config.updates) expect(u.directory ?? u.directories).toBeDefined();
  });

  it('the promote and rollback jobs assume only the promote role; a missing one is named before anything is deployed', () => {
    const prod = load('.github/workflows/deploy-prod.yml');
    for (const [id, sub] of [
      ['promote', 'promote'],
      ['rollback', 'rollback'],
    ] as const) {
      const step = (prod.jobs[id]?.steps ?? []).find((s) => ownAction(s.uses) === sub);
      expect(step?.with?.['role-to-assume']).toBe('${{ inputs.promote-role-to-assume }}');
    }
    // the plan job checks the inputs first: it runs before the deploy job
    const check = prod.jobs.plan?.steps?.[0];
    expect(check?.env?.PROMOTE_ROLE).toBe('${{ inputs.promote-role-to-assume }}');
    expect(check?.run).toMatch(/::error title=deploy-prod\.yml::promote-role-to-assume is empty/);
    expect(check?.run).toMatch(/::error title=deploy-prod\.yml::test-command needs promote-environment/);
    expect(read('workflows-templates/ecs-blue-green-pipeline.yml')).toContain(
      '# promote-role-to-assume: ${{ vars.PROD_PROMOTE_ROLE_ARN }}',
    );
  });

  it('the production tests run in a job of their own that cannot assume any role', () => {
    const test = load('.github/workflows/deploy-prod.yml').jobs.test;
    expect(test?.permissions).toEqual({ contents: 'read' });
    expect(test?.environment).toBeUndefined();
    expect(assumesRole(test as Job)).toBe(false);
    expect(test?.steps?.some((s) => s.env?.TEST_COMMAND === '${{ inputs.test-command }}')).toBe(true);
    // the deploy step in production never runs the test command itself
    expect(load('.github/workflows/deploy-prod.yml').jobs.deploy?.with?.['test-command']).toBeUndefined();
  });

  it('no ${{ }} expression is expanded inside a run: script (values go through env)', () => {
    let runs = 0;
    for (const { file, id, job } of allJobs) {
      for (const step of job.steps ?? []) {
        if (step.run === undefined) continue;
        runs++;
        expect({ file, id, run: step.run }).toEqual({ file, id, run: expect.not.stringMatching(/\$\{\{/) });
      }
    }
    expect(runs).toBeGreaterThanOrEqual(3);
  });

  it.each(deployJobs.map((j) => [`${j.file}#${j.id}`, j] as const))(
    '%s declares an environment and a concurrency group per environment and service that never cancels',
    (_name, { job }) => {
      expect(job.environment).toBeDefined();
      const env = typeof job.environment === 'string' ? job.environment : job.environment?.name;
      expect(env).toMatch(/\$\{\{ inputs\.(promote-)?environment \}\}/);
      expect(typeof job.concurrency).toBe('object');
      const c = job.concurrency as { group: string; 'cancel-in-progress'?: boolean; queue?: string };
      expect(c['cancel-in-progress']).toBe(false);
      expect(c.queue).toBe('max');
      expect(c.group).toContain('${{ inputs.environment }}');
      expect(c.group).toMatch(/inputs\.service/);
    },
  );

  it('the deploy, promote and rollback jobs of production share one group; operate uses its own (a rollback must not wait for the deploy)', () => {
    const group = (file: string, id: string): string =>
      ((load(file).jobs[id]?.concurrency ?? {}) as { group: string }).group;
    expect(group('.github/workflows/deploy-prod.yml', 'promote')).toBe(
      group('.github/workflows/_deploy.yml', 'deploy'),
    );
    expect(group('.github/workflows/deploy-prod.yml', 'rollback')).toBe(
      group('.github/workflows/_deploy.yml', 'deploy'),
    );
    expect(group('.github/workflows/operate.yml', 'operate')).not.toBe(
      group('.github/workflows/_deploy.yml', 'deploy'),
    );
  });

  it('the production deploy needs the plan job, which runs the plan sub-action outside the protected environment', () => {
    const prod = load('.github/workflows/deploy-prod.yml');
    const deploy = prod.jobs.deploy;
    const plan = prod.jobs.plan;
    expect(deploy?.needs === 'plan' || (Array.isArray(deploy?.needs) && deploy.needs.includes('plan'))).toBe(
      true,
    );
    expect(isOwnWorkflow(deploy?.uses) && calledFile(deploy?.uses ?? '')).toBe(
      '.github/workflows/_deploy.yml',
    );
    expect(deploy?.with?.environment).toBe('${{ inputs.environment }}');
    expect(
      (prod.on.workflow_call as { inputs: Record<string, { default?: string }> }).inputs.environment?.default,
    ).toBe('production');
    expect(plan?.environment).toBeUndefined();
    expect((plan?.steps ?? []).map((s) => ownAction(s.uses))).toContain('plan');
    expect(plan?.steps?.find((s) => ownAction(s.uses) === 'plan')?.with?.['role-to-assume']).toBe(
      '${{ inputs.plan-role-to-assume }}',
    );
    // The second approval: deploy holds in Ready, promote runs in its own environment.
    expect(deploy?.with?.['wait-until']).toMatch(/'ready'/);
    expect(prod.jobs.promote?.needs).toEqual(['deploy', 'test']);
    expect(prod.jobs.promote?.environment).toMatchObject({ name: '${{ inputs.promote-environment }}' });
  });

  it('with: keys given to this repo’s action and sub-actions exist in their action.yml, and required ones are given', () => {
    let steps = 0;
    for (const { file, id, job } of allJobs) {
      for (const step of job.steps ?? []) {
        const sub = ownAction(step.uses);
        if (sub === undefined) continue;
        steps++;
        const inputs = actionInputs(sub);
        const given = Object.keys(step.with ?? {});
        const where = `${file}#${id} ${step.uses}`;
        expect({ where, unknown: given.filter((k) => !(k in inputs)) }).toEqual({ where, unknown: [] });
        const required = Object.entries(inputs)
          .filter(([, i]) => i.required === true)
          .map(([k]) => k);
        expect({ where, missing: required.filter((k) => !given.includes(k)) }).toEqual({
          where,
          missing: [],
        });
      }
    }
    expect(steps).toBeGreaterThanOrEqual(5);
  });

  it('the deploy jobs pass role-to-assume to the action and need no configure-aws-credentials step', () => {
    for (const { job } of deployJobs) {
      expect((job.steps ?? []).some((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials'))).toBe(
        false,
      );
    }
  });

  it('the build keeps the account id unmasked so the image output is not redacted, and outputs the image by digest', () => {
    const build = load('.github/workflows/build.yml');
    const steps = build.jobs.build?.steps ?? [];
    const creds = steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    expect(creds?.with?.['mask-aws-account-id']).toBe(false);
    const ref = steps.find((s) => s.run?.includes('image='));
    expect(ref?.run).toContain('$REGISTRY/$REPOSITORY@$DIGEST');
    expect(ref?.env?.DIGEST).toBe('${{ steps.push.outputs.digest }}');
    const outputs = (build.on.workflow_call as { outputs: Record<string, { value: string }> }).outputs;
    expect(Object.keys(outputs).sort()).toEqual(['digest', 'image', 'tags']);
    const push = steps.find((s) => s.uses?.startsWith('docker/build-push-action@'));
    expect(push?.with?.push).toBe(true);
    expect(push?.with?.['cache-to']).toBeDefined();
  });
});
