/**
 * House rules for the reusable workflows and the caller templates, checked on the YAML as written.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
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
/** '' for the deploy action, 'plan'/'promote'/'rollback' for a sub-action, undefined for anything else. */
function ownAction(uses: string | undefined): string | undefined {
  if (!uses) return undefined;
  const m = /^([^@]+)@(.+)$/.exec(uses);
  if (!m || !m[1]) return undefined;
  if (m[1] === ownPrefix) return '';
  const sub = m[1].startsWith(`${ownPrefix}/`) ? m[1].slice(ownPrefix.length + 1) : undefined;
  return sub !== undefined && (SUB_ACTIONS as readonly string[]).includes(sub) ? sub : undefined;
}
const isOwnWorkflow = (uses: string | undefined): boolean =>
  !!uses && uses.startsWith(`${ownPrefix}/.github/workflows/`);
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
const deployJobs = allJobs.filter(({ job }) =>
  (job.steps ?? []).some((s) => DEPLOYING.has(ownAction(s.uses) ?? 'x')),
);

describe('workflow policy', () => {
  it('checks the files it should', () => {
    expect(allJobs.length).toBeGreaterThanOrEqual(8);
    expect(deployJobs.map(({ file, id }) => `${file}#${id}`).sort()).toEqual([
      '.github/workflows/_deploy.yml#deploy',
      '.github/workflows/deploy-prod.yml#promote',
      '.github/workflows/operate.yml#operate',
    ]);
  });

  it.each(allJobs.map((j) => [`${j.file}#${j.id}`, j] as const))(
    '%s declares explicit, minimal permissions',
    (_name, { job }) => {
      expect(typeof job.permissions).toBe('object');
      const allowed: Record<string, string[]> = {
        contents: ['read'],
        'id-token': ['write'],
        actions: ['write'],
      };
      for (const [scope, level] of Object.entries(job.permissions as Record<string, string>)) {
        expect(allowed[scope] ?? []).toContain(level);
      }
      // actions: write is only for the GitHub Actions layer cache of the build.
      if ((job.permissions as Record<string, string>).actions === 'write') {
        const usesBuild =
          (job.steps ?? []).some((s) => s.uses?.startsWith('docker/build-push-action@')) ||
          (job.uses ?? '').includes('/build.yml');
        expect(usesBuild).toBe(true);
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

  it('third-party actions are pinned to a full commit SHA with a version comment; this repo’s actions use the major', () => {
    const major = (JSON.parse(read('package.json')) as { version: string }).version.split('.')[0];
    let checked = 0;
    for (const file of files) {
      for (const line of read(file).split('\n')) {
        const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!m || !m[1]) continue;
        const uses = m[1];
        checked++;
        if (uses.startsWith('./')) continue;
        if (uses.startsWith(`${OWN_REPOSITORY}/`) || uses.startsWith(`${OWN_REPOSITORY}@`)) {
          expect({ file, uses }).toEqual({ file, uses: expect.stringMatching(new RegExp(`@v${major}$`)) });
        } else {
          expect({ file, line: line.trim() }).toEqual({
            file,
            line: expect.stringMatching(/@[0-9a-f]{40} # v\d+\.\d+\.\d+$/),
          });
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
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

  it('the deploy and promote jobs of production share one group; operate uses its own (a rollback must not wait for the deploy)', () => {
    const group = (file: string, id: string): string =>
      ((load(file).jobs[id]?.concurrency ?? {}) as { group: string }).group;
    expect(group('.github/workflows/deploy-prod.yml', 'promote')).toBe(
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
    expect(prod.jobs.promote?.needs).toBe('deploy');
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
