/**
 * Runs what a team copies — the reusable workflows of .github/workflows/ and the caller templates of
 * workflows-templates/ — the way GitHub would, against the emulator, so a test can say which jobs ran,
 * which were skipped, what the workflow put out and where the deployment ended.
 *
 * - Each workflow is read with GitHub's own parser (@actions/workflow-parser: schema, expressions, job
 *   conversion; a file it reports errors for is refused) and every `${{ }}` and `if:` is evaluated with
 *   GitHub's own expression engine (@actions/expressions; workflow-expressions.ts), with the contexts
 *   github, inputs, vars, secrets, needs, env, steps, job, jobs, runner, matrix, strategy.
 * - Jobs run in dependency order, one at a time (GitHub runs independent jobs in parallel; nothing here
 *   depends on their interleaving). A job whose needs did not all succeed is skipped unless its `if:`
 *   has a status function; status functions see every ancestor job (workflow-expressions.ts).
 * - Reusable workflows (`uses: $/…`, `./…`, or the published owner/repo/…@ref of this repository) run
 *   with their typed inputs (defaults applied, numbers and booleans converted), secrets and outputs
 *   (`on.workflow_call.outputs.*.value` over the `jobs` context). A called workflow's jobs get the
 *   GITHUB_TOKEN permissions of the calling job at most ("Reusing workflows": the permissions passed from
 *   the caller "can be only downgraded").
 * - A job may request an OIDC token only with `id-token: write` (a job that does not grant it gets no
 *   ACTIONS_ID_TOKEN_REQUEST_* variables; GitHub's default GITHUB_TOKEN permissions leave id-token at
 *   none). Its token's `sub` is repo:OWNER/REPO:environment:<env> for a job with an environment,
 *   repo:OWNER/REPO:ref:<ref> otherwise (GitHub OIDC docs, "Example subject claims"), followed by
 *   :job_workflow_ref:<file>@<ref> with `subjectClaimKeys` (the repository's customized subject);
 *   job_workflow_ref names the called file at the ref it was called at; tokens are minted by
 *   the emulator's issuer, so its STS checks them against the roles' trust policies.
 * - Environments with required reviewers are approvals the test gives, rejects or withholds. A
 *   rejected job fails without running ("Reviewing deployments": "If a job is rejected, the workflow will
 *   fail"); a withheld one stays waiting (it would fail after 30 days), and the jobs that need it never
 *   start.
 * - Steps: this repository's actions (`$/.`, `$/plan`, `$/promote`, `$/rollback`, or the published
 *   owner/repo[/sub]@ref) run as their bundles (dist/*.js, runs.main of their action.yml) through
 *   scripts/action-runner.ts, with their action.yml defaults for inputs not given and their post step
 *   (post-if, default always()) at the end of the job; third-party actions are stood in for
 *   (workflow-stand-ins.ts); every `run:` step is executed with bash as the runner does
 *   (`bash --noprofile --norc -eo pipefail {0}`), with GITHUB_OUTPUT, GITHUB_ENV, GITHUB_STEP_SUMMARY
 *   and GITHUB_PATH honoured. Nothing a `run:` step does is stood in for.
 * - Step `if:` status functions see the steps before (a skipped step fails nothing); continue-on-error
 *   makes a failed step's conclusion success (outcome stays failure).
 * - Job outputs are strings; one that contains a masked value (::add-mask::, a secret) is dropped, as the
 *   runner does ("Skip output '…' since it may contain secret"; docs "Passing information between jobs":
 *   outputs containing secrets are redacted and not sent to GitHub Actions).
 * - A step's timeout-minutes is applied in real minutes (the emulator's clock runs faster; only run:
 *   steps and the actions' own processes take real time).
 * - Not modelled: matrices, concurrency queues (jobs run one at a time anyway), run cancellation, job
 *   timeouts, containers, services, deployment branch policies.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import {
  convertWorkflowTemplate,
  isMapping,
  isSequence,
  isString,
  NoOperationTraceWriter,
  parseWorkflow,
  type WorkflowTemplate,
} from '@actions/workflow-parser';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import type {
  Job,
  ReusableWorkflowJob,
  Step,
  WorkflowJob,
} from '@actions/workflow-parser/model/workflow-template';
import type { Emulator } from '../../emulator/index.js';
import { parseFileCommands, REPO_ROOT, runAction } from '../../scripts/action-runner.js';
import { OWN_REPOSITORY } from '../../scripts/validate-workflows.js';
import {
  asString,
  evaluateCondition,
  evaluateToken,
  type EvalContext,
  type Value,
} from './workflow-expressions.js';
import { STAND_INS } from './workflow-stand-ins.js';

export type JobResult = 'success' | 'failure' | 'skipped' | 'cancelled' | 'waiting' | 'not-started';
export type Approval = 'approve' | 'reject';

export interface ExecutorOptions {
  emulator: Emulator;
  /** the calling repository, OWNER/NAME */
  repository: string;
  ref?: string;
  sha?: string;
  /** the calling repository's files: what checkout puts in the workspace, and its workflows */
  files: Record<string, string>;
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  /** environments configured with required reviewers */
  protectedEnvironments?: string[];
  /** the reviewers' decision per environment; a protected environment missing here is withheld */
  approvals?: Record<string, Approval>;
  /** the Node binary the bundles run with */
  node?: string;
  /** real milliseconds one action or run step may take */
  stepTimeoutMs?: number;
  /** echo the log as it comes */
  echo?: boolean;
  /**
   * The calling repository's OIDC subject template (REST API actions/oidc/customization/sub,
   * include_claim_keys): with ['repo', 'context', 'job_workflow_ref'] a job's `sub` is
   * repo:OWNER/REPO:<context>:job_workflow_ref:<job_workflow_ref> (what infra/github-oidc-roles.yml trusts).
   * Default: GitHub's default subject.
   */
  subjectClaimKeys?: readonly ('repo' | 'context' | 'job_workflow_ref')[];
}

export interface StepRecord {
  id: string;
  name: string;
  uses?: string;
  outcome: 'success' | 'failure' | 'skipped';
  conclusion: 'success' | 'failure' | 'skipped';
  outputs: Record<string, string>;
  stdout: string;
}

export interface JobRecord {
  /** the job's id, prefixed with the ids of the jobs that called its workflow: production/deploy/deploy */
  path: string;
  name: string;
  /** the workflow file it is in */
  workflow: string;
  result: JobResult;
  environment?: string;
  approval?: 'approved' | 'rejected' | 'withheld';
  /** whether the job could request an OIDC token (id-token: write) */
  idToken: boolean;
  outputs: Record<string, string>;
  steps: StepRecord[];
  summary: string;
}

export interface RunResult {
  /** whether the event triggers the workflow (on: … matched) */
  triggered: boolean;
  status: 'completed' | 'waiting';
  conclusion?: 'success' | 'failure';
  jobs: JobRecord[];
  /** path → result, e.g. { 'production/promote': 'skipped' } */
  results: Record<string, JobResult>;
  job(path: string): JobRecord;
  /** ::error annotations of every step */
  errors: string[];
  /** what GitHub would warn about (unexpected action inputs, dropped outputs) */
  warnings: string[];
  /** everything printed, job by job */
  log: string;
}

interface LoadedWorkflow {
  repo: 'caller' | 'action';
  path: string;
  /** the raw token tree (for what the converted template leaves out: with, permissions, shell …) */
  root: TemplateToken;
  template: WorkflowTemplate;
}

type Permissions = Record<string, 'read' | 'write' | 'none'>;

const SCOPES = [
  'actions',
  'attestations',
  'checks',
  'contents',
  'deployments',
  'discussions',
  'id-token',
  'issues',
  'models',
  'packages',
  'pages',
  'pull-requests',
  'repository-projects',
  'security-events',
  'statuses',
];
const LEVEL = { none: 0, read: 1, write: 2 } as const;

/** GitHub's default GITHUB_TOKEN permissions (restricted default); id-token is none in both defaults. */
const DEFAULT_PERMISSIONS: Permissions = { contents: 'read', packages: 'read' };

function child(token: TemplateToken | undefined, key: string): TemplateToken | undefined {
  if (!token || !isMapping(token)) return undefined;
  for (const pair of token) if (isString(pair.key) && pair.key.value === key) return pair.value;
  return undefined;
}

function normalizePermissions(value: Value): Permissions {
  if (value === 'read-all' || value === 'write-all') {
    const level = value === 'read-all' ? 'read' : 'write';
    return Object.fromEntries(SCOPES.map((s) => [s, s === 'id-token' && level === 'read' ? 'none' : level]));
  }
  const out: Permissions = {};
  if (value && typeof value === 'object' && !Array.isArray(value))
    for (const [k, v] of Object.entries(value)) out[k] = v as 'read' | 'write' | 'none';
  return out;
}

function capPermissions(own: Permissions, cap: Permissions | undefined): Permissions {
  if (!cap) return own;
  const out: Permissions = {};
  for (const [scope, level] of Object.entries(own)) {
    const max = cap[scope] ?? 'none';
    out[scope] = LEVEL[level] <= LEVEL[max] ? level : max;
  }
  return out;
}

/** push: branches filter, with GitHub's glob (* within a segment, ** across). */
function branchMatches(patterns: string[], branch: string): boolean {
  let matched = false;
  for (const p of patterns) {
    const negate = p.startsWith('!');
    const glob = negate ? p.slice(1) : p;
    const source = glob
      .split('**')
      .map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
      .join('.*');
    const re = new RegExp(`^${source}$`);
    if (re.test(branch)) matched = !negate;
  }
  return matched;
}

class Approvals {
  constructor(
    private readonly protectedEnvironments: Set<string>,
    private readonly decisions: Record<string, Approval>,
  ) {}
  decide(environment: string): 'approved' | 'rejected' | 'withheld' | undefined {
    if (!this.protectedEnvironments.has(environment)) return undefined;
    const d = this.decisions[environment];
    return d === 'approve' ? 'approved' : d === 'reject' ? 'rejected' : 'withheld';
  }
}

interface CallFrame {
  workflow: LoadedWorkflow;
  /** the ref the workflow file was called at, as job_workflow_ref writes it after the @ */
  ref: string;
  prefix: string;
  inputs: Record<string, Value>;
  secrets: Record<string, string>;
  /** the GITHUB_TOKEN permissions of the calling job (undefined for the root workflow) */
  cap?: Permissions;
}

interface JobState {
  env: Record<string, string>;
  exported: Record<string, string>;
  masks: Set<string>;
  steps: Record<string, { outputs: Record<string, string>; outcome: string; conclusion: string }>;
  status: 'success' | 'failure';
  workspace: string;
  runnerTemp: string;
  posts: (() => Promise<void>)[];
}

export class WorkflowExecutor {
  private readonly cache = new Map<string, LoadedWorkflow>();
  private readonly tokens = new Map<string, Record<string, unknown>>();
  private server?: Server;
  private oidcUrl = '';
  private readonly approvals: Approvals;
  private readonly ref: string;
  private readonly sha: string;
  private readonly runId = String(Math.floor(Math.random() * 9e9) + 1e9);
  /** tags the build "pushed" */
  readonly pushes: { tags: string[]; digest: string }[] = [];

  constructor(private readonly options: ExecutorOptions) {
    this.approvals = new Approvals(new Set(options.protectedEnvironments ?? []), options.approvals ?? {});
    this.ref = options.ref ?? 'refs/heads/main';
    this.sha = options.sha ?? 'c0ffee0000000000000000000000000000000001';
  }

  /** Stop the OIDC endpoint. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async oidcEndpoint(): Promise<string> {
    if (this.server) return this.oidcUrl;
    // The runner's ID token endpoint: GET <ACTIONS_ID_TOKEN_REQUEST_URL>&audience=… with the job's
    // request token as bearer; answers {"value": "<jwt>"} (what @actions/core getIDToken reads).
    this.server = createServer((req, res) => {
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const claims = bearer ? this.tokens.get(bearer) : undefined;
      if (!claims) {
        res.writeHead(401).end();
        return;
      }
      const audience = new URL(req.url ?? '/', 'http://x').searchParams.get('audience') ?? undefined;
      const value = this.options.emulator.oidc.issueToken({
        ...(claims as object),
        ...(audience ? { aud: audience } : {}),
      } as Parameters<Emulator['oidc']['issueToken']>[0]);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.oidcUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/token?api-version=2.0`;
    return this.oidcUrl;
  }

  /** Read and convert a workflow with GitHub's parser; any error it reports fails the run. */
  async load(repo: 'caller' | 'action', file: string): Promise<LoadedWorkflow> {
    const key = `${repo}:${file}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    let content: string;
    if (repo === 'caller') {
      const c = this.options.files[file];
      if (c === undefined) throw new Error(`${file} is not in the calling repository`);
      content = c;
    } else {
      const abs = path.join(REPO_ROOT, file);
      if (!existsSync(abs)) throw new Error(`${file} is not in ${OWN_REPOSITORY}`);
      content = readFileSync(abs, 'utf8');
    }
    const parsed = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
    const errors = parsed.context.errors.getErrors().map((e) => e.message);
    if (errors.length > 0 || !parsed.value) throw new Error(`${file}: ${errors.join('; ')}`);
    const template = await convertWorkflowTemplate(parsed.context, parsed.value, undefined, {
      fetchReusableWorkflowDepth: 0,
    });
    if (template.errors?.length)
      throw new Error(`${file}: ${template.errors.map((e) => e.Message).join('; ')}`);
    const loaded = { repo, path: file, root: parsed.value, template };
    this.cache.set(key, loaded);
    return loaded;
  }

  /** `jobs.<id>.uses` → the workflow file and the repository it is in. */
  private resolveWorkflow(
    uses: string,
    from: LoadedWorkflow,
  ): { repo: 'caller' | 'action'; path: string; ref: string } {
    if (uses.startsWith('$/')) return { repo: from.repo, path: uses.slice(2), ref: this.ref };
    if (uses.startsWith('./')) return { repo: from.repo, path: uses.slice(2), ref: this.ref };
    const m = /^([^/@]+\/[^/@]+)\/([^@]+)@(.+)$/.exec(uses);
    if (!m) throw new Error(`cannot resolve reusable workflow ${uses}`);
    const [, repo = '', file = '', ref = ''] = m;
    if (repo.toLowerCase() === OWN_REPOSITORY) return { repo: 'action', path: file, ref };
    if (repo.toLowerCase() === this.options.repository.toLowerCase())
      return { repo: 'caller', path: file, ref };
    throw new Error(`${uses} is in another repository; only ${OWN_REPOSITORY} and the caller are available`);
  }

  /** Run a workflow of the calling repository for an event. */
  async run(
    file: string,
    event: { name: 'push' } | { name: 'workflow_dispatch'; inputs?: Record<string, Value> },
  ): Promise<RunResult> {
    const workflow = await this.load('caller', file);
    const records: JobRecord[] = [];
    const errors: string[] = [];
    const warnings: string[] = [];
    const log: string[] = [];
    const result = (
      triggered: boolean,
      status: RunResult['status'],
      conclusion?: RunResult['conclusion'],
    ) => ({
      triggered,
      status,
      conclusion,
      jobs: records,
      results: Object.fromEntries(records.map((r) => [r.path, r.result])),
      job: (p: string) => {
        const r = records.find((j) => j.path === p);
        if (!r) throw new Error(`no job ${p}; jobs: ${records.map((j) => j.path).join(', ')}`);
        return r;
      },
      errors,
      warnings,
      log: log.join('\n'),
    });
    const events = workflow.template.events;
    const branch = this.ref.replace(/^refs\/heads\//, '');
    let inputs: Record<string, Value> = {};
    if (event.name === 'push') {
      const push = events.push;
      if (!('push' in events)) return result(false, 'completed');
      if (push?.branches && !branchMatches(push.branches, branch)) return result(false, 'completed');
    } else {
      if (!('workflow_dispatch' in events)) return result(false, 'completed');
      inputs = this.dispatchInputs(events.workflow_dispatch?.inputs ?? {}, event.inputs ?? {});
    }
    const ctx = new RunContext(this, records, errors, warnings, log, event.name, file);
    await ctx.runWorkflow({
      workflow,
      ref: this.ref,
      prefix: '',
      inputs,
      secrets: this.options.secrets ?? {},
    });
    const waiting = records.some((r) => r.result === 'waiting');
    const failed = records.some((r) => r.result === 'failure');
    return result(
      true,
      waiting ? 'waiting' : 'completed',
      waiting ? (failed ? 'failure' : undefined) : failed ? 'failure' : 'success',
    );
  }

  private dispatchInputs(
    definitions: Record<string, { type?: string; required?: boolean; default?: Value; options?: string[] }>,
    given: Record<string, Value>,
  ): Record<string, Value> {
    const out: Record<string, Value> = {};
    for (const name of Object.keys(given))
      if (!(name in definitions)) throw new Error(`workflow_dispatch: unexpected input ${name}`);
    for (const [name, def] of Object.entries(definitions)) {
      let v: Value = given[name] ?? def.default ?? (def.type === 'boolean' ? false : '');
      if (def.required && (v === '' || v === null))
        throw new Error(`workflow_dispatch: input ${name} is required`);
      if (def.type === 'choice' && !(def.options ?? []).includes(String(v)))
        throw new Error(`workflow_dispatch: ${name} must be one of ${(def.options ?? []).join(', ')}`);
      if (def.type === 'boolean') v = v === true || v === 'true';
      out[name] = v;
    }
    return out;
  }

  // --- for RunContext --------------------------------------------------------------------------
  get opts(): ExecutorOptions {
    return this.options;
  }
  get runRef(): string {
    return this.ref;
  }
  get runSha(): string {
    return this.sha;
  }
  get id(): string {
    return this.runId;
  }
  decide(environment: string) {
    return this.approvals.decide(environment);
  }
  resolve(uses: string, from: LoadedWorkflow) {
    return this.resolveWorkflow(uses, from);
  }
  async requestToken(claims: Record<string, unknown>): Promise<{ url: string; token: string }> {
    const url = await this.oidcEndpoint();
    const token = `job-${randomUUID()}`;
    this.tokens.set(token, claims);
    return { url, token };
  }
}

class RunContext {
  constructor(
    private readonly x: WorkflowExecutor,
    private readonly records: JobRecord[],
    private readonly errors: string[],
    private readonly warnings: string[],
    private readonly log: string[],
    private readonly eventName: string,
    private readonly rootFile: string,
  ) {}

  private say(line: string): void {
    this.log.push(line);
    if (this.x.opts.echo) console.log(line);
  }

  private github(job: string, workflowName: string): Record<string, Value> {
    const [owner = ''] = this.x.opts.repository.split('/');
    return {
      repository: this.x.opts.repository,
      repository_owner: owner,
      ref: this.x.runRef,
      ref_name: this.x.runRef.replace(/^refs\/(heads|tags)\//, ''),
      ref_type: 'branch',
      sha: this.x.runSha,
      run_id: this.x.id,
      run_number: '1',
      run_attempt: '1',
      event_name: this.eventName,
      event: {},
      actor: 'octocat',
      triggering_actor: 'octocat',
      server_url: 'https://github.com',
      api_url: 'https://api.github.com',
      workflow: workflowName,
      workflow_ref: `${this.x.opts.repository}/${this.rootFile}@${this.x.runRef}`,
      job,
      workspace: '',
      action: '',
    };
  }

  private contexts(frame: CallFrame, job: string, extra: Record<string, Value> = {}): Record<string, Value> {
    const name = child(frame.workflow.root, 'name');
    return {
      github: this.github(job, name && isString(name) ? name.value : frame.workflow.path),
      inputs: frame.inputs,
      vars: this.x.opts.vars ?? {},
      secrets: { GITHUB_TOKEN: 'ghs_emulated_token', ...frame.secrets },
      runner: { os: 'Linux', arch: 'X64', name: 'GitHub Actions 1', environment: 'github-hosted' },
      matrix: {},
      strategy: {},
      needs: {},
      env: {},
      steps: {},
      job: {},
      jobs: {},
      ...extra,
    };
  }

  /** Run the jobs of one workflow; returns each job's result and outputs by id. */
  async runWorkflow(
    frame: CallFrame,
  ): Promise<Record<string, { result: JobResult; outputs: Record<string, string> }>> {
    const jobs = frame.workflow.template.jobs;
    const done: Record<string, { result: JobResult; outputs: Record<string, string> }> = {};
    const byId = new Map(jobs.map((j) => [j.id.value, j]));
    const ancestors = (j: WorkflowJob, seen = new Set<string>()): Set<string> => {
      for (const n of j.needs ?? []) {
        if (seen.has(n.value)) continue;
        seen.add(n.value);
        const nj = byId.get(n.value);
        if (nj) ancestors(nj, seen);
      }
      return seen;
    };
    const pending = [...jobs];
    while (pending.length > 0) {
      const i = pending.findIndex((j) => (j.needs ?? []).every((n) => done[n.value] !== undefined));
      if (i < 0) throw new Error(`${frame.workflow.path}: a cycle in needs`);
      const job = pending.splice(i, 1)[0] as WorkflowJob;
      const id = job.id.value;
      const jobPath = `${frame.prefix}${id}`;
      const needs = Object.fromEntries(
        (job.needs ?? []).map((n) => [
          n.value,
          { result: done[n.value]!.result, outputs: done[n.value]!.outputs },
        ]),
      );
      // A need still waiting (approval withheld) or never started: this job does not start either.
      if (Object.values(needs).some((n) => n.result === 'waiting' || n.result === 'not-started')) {
        done[id] = { result: 'not-started', outputs: {} };
        this.record(frame, job, { result: 'not-started' });
        continue;
      }
      const ctx: EvalContext = {
        contexts: this.contexts(frame, id, { needs: needs as unknown as Value }),
        status: { results: [...ancestors(job)].map((a) => done[a]!.result), cancelled: false },
      };
      let run: boolean;
      try {
        run = evaluateCondition(job.if.expression, ctx);
      } catch (error) {
        this.errors.push(`${jobPath}: if: ${(error as Error).message}`);
        done[id] = { result: 'failure', outputs: {} };
        this.record(frame, job, { result: 'failure' });
        continue;
      }
      if (!run) {
        this.say(`[${jobPath}] skipped (if: ${job.if.expression})`);
        done[id] = { result: 'skipped', outputs: {} };
        this.record(frame, job, { result: 'skipped' });
        continue;
      }
      done[id] =
        job.type === 'reusableWorkflowJob'
          ? await this.runReusable(frame, job, ctx)
          : await this.runJob(frame, job, ctx);
    }
    return done;
  }

  private record(
    frame: CallFrame,
    job: WorkflowJob,
    r: Partial<JobRecord> & { result: JobResult },
  ): JobRecord {
    const rec: JobRecord = {
      path: `${frame.prefix}${job.id.value}`,
      name: job.id.value,
      workflow: frame.workflow.path,
      idToken: false,
      outputs: {},
      steps: [],
      summary: '',
      ...r,
    };
    this.records.push(rec);
    return rec;
  }

  private rawJob(frame: CallFrame, id: string): TemplateToken | undefined {
    return child(child(frame.workflow.root, 'jobs'), id);
  }

  private permissionsOf(frame: CallFrame, id: string, ctx: EvalContext): Permissions {
    const own = child(this.rawJob(frame, id), 'permissions') ?? child(frame.workflow.root, 'permissions');
    const perms = own ? normalizePermissions(evaluateToken(own, ctx)) : (frame.cap ?? DEFAULT_PERMISSIONS);
    return capPermissions(perms, frame.cap);
  }

  private async runReusable(
    frame: CallFrame,
    job: ReusableWorkflowJob,
    ctx: EvalContext,
  ): Promise<{ result: JobResult; outputs: Record<string, string> }> {
    const jobPath = `${frame.prefix}${job.id.value}`;
    const target = this.x.resolve(job.ref.value, frame.workflow);
    const called = await this.x.load(target.repo, target.path);
    const call = child(child(called.root, 'on'), 'workflow_call');
    const given = (evaluateToken(job['input-values'], ctx) ?? {}) as Record<string, Value>;
    const definitions = (evaluateToken(child(call, 'inputs'), {
      contexts: this.contexts(frame, job.id.value),
    }) ?? {}) as Record<string, { type?: string; required?: boolean; default?: Value }>;
    const inputs: Record<string, Value> = {};
    for (const name of Object.keys(given))
      if (!(name in definitions)) throw new Error(`${jobPath}: ${target.path} has no input ${name}`);
    for (const [name, def] of Object.entries(definitions)) {
      let v: Value | undefined = given[name];
      if (v === undefined) {
        if (def.required) throw new Error(`${jobPath}: input ${name} of ${target.path} is required`);
        v = def.default ?? (def.type === 'boolean' ? false : def.type === 'number' ? 0 : '');
      }
      if (def.type === 'number') {
        const n = typeof v === 'number' ? v : Number(v);
        if (!Number.isFinite(n)) throw new Error(`${jobPath}: input ${name} is a number, not '${String(v)}'`);
        v = n;
      } else if (def.type === 'boolean') {
        if (typeof v !== 'boolean' && v !== 'true' && v !== 'false')
          throw new Error(`${jobPath}: input ${name} is a boolean, not '${String(v)}'`);
        v = v === true || v === 'true';
      } else v = asString(v);
      inputs[name] = v;
    }
    const secrets: Record<string, string> = job['inherit-secrets']
      ? { ...frame.secrets }
      : Object.fromEntries(
          Object.entries((evaluateToken(job['secret-values'], ctx) ?? {}) as Record<string, Value>).map(
            ([k, v]) => [k, asString(v)],
          ),
        );
    const cap = this.permissionsOf(frame, job.id.value, ctx);
    this.say(`[${jobPath}] calls ${job.ref.value}`);
    // A `$/` or `./` call runs the file at the caller's commit; owner/repo/…@v1 at that tag (a release
    // tag, docs/releasing.md), @<40 hex> at that commit: job_workflow_ref names it so.
    const ref =
      target.ref === this.x.runRef
        ? frame.ref
        : /^[0-9a-f]{40}$/.test(target.ref) || target.ref.startsWith('refs/')
          ? target.ref
          : `refs/tags/${target.ref}`;
    const inner = await this.runWorkflow({
      workflow: called,
      ref,
      prefix: `${jobPath}/`,
      inputs,
      secrets,
      cap,
    });
    const results = Object.values(inner).map((r) => r.result);
    const result: JobResult = results.includes('failure')
      ? 'failure'
      : results.some((r) => r === 'waiting' || r === 'not-started')
        ? 'waiting'
        : results.includes('cancelled')
          ? 'cancelled'
          : 'success';
    const outputs: Record<string, string> = {};
    const outCtx: EvalContext = {
      contexts: {
        ...this.contexts({ ...frame, inputs }, job.id.value),
        inputs,
        jobs: inner as unknown as Value,
      },
    };
    const defs = child(call, 'outputs');
    if (defs && isMapping(defs))
      for (const pair of defs) {
        const key = isString(pair.key) ? pair.key.value : '';
        outputs[key] = asString(evaluateToken(child(pair.value, 'value'), outCtx));
      }
    this.record(frame, job, { result, outputs, workflow: frame.workflow.path });
    this.say(`[${jobPath}] ${result} ${JSON.stringify(outputs)}`);
    return { result, outputs };
  }

  private async runJob(
    frame: CallFrame,
    job: Job,
    ctx: EvalContext,
  ): Promise<{ result: JobResult; outputs: Record<string, string> }> {
    const id = job.id.value;
    const jobPath = `${frame.prefix}${id}`;
    const perms = this.permissionsOf(frame, id, ctx);
    const idToken = perms['id-token'] === 'write';
    // environment: a name, or {name, url}
    const envValue = job.environment ? evaluateToken(job.environment, ctx) : null;
    const environment =
      typeof envValue === 'string'
        ? envValue
        : envValue && typeof envValue === 'object' && !Array.isArray(envValue)
          ? asString((envValue as Record<string, Value>).name ?? '')
          : '';
    const decision = environment ? this.x.decide(environment) : undefined;
    if (decision === 'withheld' || decision === 'rejected') {
      this.say(`[${jobPath}] environment ${environment}: approval ${decision}`);
      const result: JobResult = decision === 'withheld' ? 'waiting' : 'failure';
      if (decision === 'rejected')
        this.errors.push(`${jobPath}: the deployment to ${environment} was rejected`);
      this.record(frame, job, { result, environment, approval: decision, idToken });
      return { result, outputs: {} };
    }
    this.say(
      `[${jobPath}] runs${environment ? ` in environment ${environment}` : ''}${idToken ? ' (id-token: write)' : ''}`,
    );

    const runnerTemp = mkdtempSync(path.join(tmpdir(), 'wf-runner-'));
    const workspace = mkdtempSync(path.join(tmpdir(), 'wf-ws-'));
    const emu = this.x.opts.emulator.env();
    const base: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: runnerTemp,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: this.x.opts.repository,
      GITHUB_REPOSITORY_OWNER: this.x.opts.repository.split('/')[0] ?? '',
      GITHUB_SHA: this.x.runSha,
      GITHUB_REF: this.x.runRef,
      GITHUB_RUN_ID: this.x.id,
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_RUN_NUMBER: '1',
      GITHUB_JOB: id,
      GITHUB_EVENT_NAME: this.eventName,
      GITHUB_ACTOR: 'octocat',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_WORKSPACE: workspace,
      RUNNER_TEMP: runnerTemp,
      RUNNER_OS: 'Linux',
      // The network: AWS is the emulator (on its virtual clock). No AWS credentials: a job has only what
      // it assumes.
      AWS_ENDPOINT_URL: emu.AWS_ENDPOINT_URL ?? '',
      AWS_EC2_METADATA_DISABLED: 'true',
      ECS_DEPLOY_CLOCK_SCALE: emu.ECS_DEPLOY_CLOCK_SCALE ?? '1',
      ECS_DEPLOY_CLOCK_EPOCH: emu.ECS_DEPLOY_CLOCK_EPOCH ?? '0',
      AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
    };
    if (idToken) {
      const fileRepo = frame.workflow.repo === 'action' ? OWN_REPOSITORY : this.x.opts.repository;
      const jobWorkflowRef = `${fileRepo}/${frame.workflow.path}@${frame.ref}`;
      const context = environment ? `environment:${environment}` : `ref:${this.x.runRef}`;
      const sub = this.x.opts.subjectClaimKeys?.includes('job_workflow_ref')
        ? `repo:${this.x.opts.repository}:${context}:job_workflow_ref:${jobWorkflowRef}`
        : `repo:${this.x.opts.repository}:${context}`;
      const { url, token } = await this.x.requestToken({
        sub,
        repository: this.x.opts.repository,
        ref: this.x.runRef,
        environment: environment || undefined,
        job_workflow_ref: jobWorkflowRef,
        workflow_ref: `${this.x.opts.repository}/${this.rootFile}@${this.x.runRef}`,
        event_name: this.eventName,
        run_id: this.x.id,
      });
      base.ACTIONS_ID_TOKEN_REQUEST_URL = url;
      base.ACTIONS_ID_TOKEN_REQUEST_TOKEN = token;
    }
    const state: JobState = {
      env: {},
      exported: {},
      masks: new Set(Object.values(frame.secrets).filter((s) => s !== '')),
      steps: {},
      status: 'success',
      workspace,
      runnerTemp,
      posts: [],
    };
    const jobCtx = (extra: Record<string, Value> = {}): EvalContext => ({
      contexts: {
        ...ctx.contexts,
        env: { ...state.env, ...state.exported },
        steps: state.steps as unknown as Value,
        job: { status: state.status },
        ...extra,
      },
    });
    const workflowEnv = child(frame.workflow.root, 'env');
    if (workflowEnv) Object.assign(state.env, stringMap(evaluateToken(workflowEnv, jobCtx())));
    if (job.env) Object.assign(state.env, stringMap(evaluateToken(job.env, jobCtx())));

    const rec = this.record(frame, job, {
      result: 'success',
      environment: environment || undefined,
      idToken,
    });
    if (decision === 'approved') rec.approval = 'approved';
    const rawSteps = child(this.rawJob(frame, id), 'steps');
    const rawList: TemplateToken[] = [];
    if (rawSteps && isSequence(rawSteps)) for (const s of rawSteps) rawList.push(s);

    for (const [index, step] of job.steps.entries()) {
      const raw = rawList[index];
      const conclusions = Object.values(rec.steps)
        .map((s) => s.conclusion)
        .filter((c) => c !== 'skipped');
      const stepCtx = { ...jobCtx(), status: { results: conclusions, cancelled: false } };
      const name = step.name ? asString(evaluateToken(step.name, jobCtx())) : step.id;
      const ifExpr = 'if' in step && step.if ? step.if.expression : 'success()';
      if (!evaluateCondition(ifExpr, stepCtx)) {
        rec.steps.push({
          id: step.id,
          name,
          outcome: 'skipped',
          conclusion: 'skipped',
          outputs: {},
          stdout: '',
        });
        state.steps[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
        this.say(`[${jobPath}] ○ ${name} (skipped)`);
        continue;
      }
      const stepRecord = await this.runStep(frame, jobPath, step, raw, state, base, jobCtx);
      stepRecord.name = name;
      const coe = step['continue-on-error'];
      const continueOnError =
        typeof coe === 'boolean' ? coe : coe ? Boolean(evaluateToken(coe, jobCtx())) : false;
      stepRecord.conclusion =
        stepRecord.outcome === 'failure' && continueOnError ? 'success' : stepRecord.outcome;
      rec.steps.push(stepRecord);
      state.steps[step.id] = {
        outputs: stepRecord.outputs,
        outcome: stepRecord.outcome,
        conclusion: stepRecord.conclusion,
      };
      if (stepRecord.conclusion === 'failure') state.status = 'failure';
      this.say(`[${jobPath}] ${stepRecord.outcome === 'success' ? '✔' : '✖'} ${name}`);
    }
    for (const post of state.posts.reverse()) await post();

    const outputs: Record<string, string> = {};
    if (job.outputs)
      for (const pair of job.outputs) {
        const key = isString(pair.key) ? pair.key.value : '';
        const value = asString(evaluateToken(pair.value, jobCtx()));
        if ([...state.masks].some((m) => m.length > 0 && value.includes(m))) {
          this.warnings.push(`${jobPath}: Skip output '${key}' since it may contain secret.`);
          continue;
        }
        outputs[key] = value;
      }
    rec.result = state.status;
    rec.outputs = outputs;
    this.say(`[${jobPath}] ${rec.result} ${JSON.stringify(outputs)}`);
    return { result: rec.result, outputs };
  }

  private async runStep(
    frame: CallFrame,
    jobPath: string,
    step: Step,
    raw: TemplateToken | undefined,
    state: JobState,
    base: Record<string, string>,
    jobCtx: (extra?: Record<string, Value>) => EvalContext,
  ): Promise<StepRecord> {
    const stepEnv = 'env' in step && step.env ? stringMap(evaluateToken(step.env, jobCtx())) : {};
    const env = { ...base, ...state.env, ...state.exported, ...stepEnv };
    const rec: StepRecord = {
      id: step.id,
      name: step.id,
      outcome: 'success',
      conclusion: 'success',
      outputs: {},
      stdout: '',
    };
    // timeout-minutes of the step (real minutes here), within the executor's own limit
    const stepMinutes = raw ? evaluateToken(child(raw, 'timeout-minutes'), jobCtx()) : null;
    const timeoutMs = Math.min(
      this.x.opts.stepTimeoutMs ?? 180_000,
      typeof stepMinutes === 'number' ? stepMinutes * 60_000 : Number.POSITIVE_INFINITY,
    );
    if ('run' in step) {
      const script = asString(
        evaluateToken(step.run, jobCtx({ env: { ...state.env, ...state.exported, ...stepEnv } })),
      );
      const shell = raw ? asString(evaluateToken(child(raw, 'shell'), jobCtx())) : '';
      if (shell && shell !== 'bash') throw new Error(`${jobPath}: shell ${shell} is not emulated`);
      const r = await runBash(script, env, state, timeoutMs);
      rec.stdout = r.stdout;
      rec.outcome = r.exitCode === 0 ? 'success' : 'failure';
      rec.outputs = r.outputs;
      this.absorb(jobPath, rec.stdout, state);
      return rec;
    }
    if (!('uses' in step)) throw new Error(`${jobPath}: step ${step.id} is neither run nor uses`);
    const uses = step.uses.value;
    rec.uses = uses;
    const withValues = stringMap(evaluateToken(raw ? child(raw, 'with') : undefined, jobCtx()));
    const own = this.ownAction(uses, frame.workflow);
    if (own) {
      const meta = parseYaml(readFileSync(path.join(REPO_ROOT, own, 'action.yml'), 'utf8')) as {
        inputs?: Record<string, { default?: string }>;
        runs: { using: string; main: string; post?: string; 'post-if'?: string };
      };
      const declared = meta.inputs ?? {};
      for (const name of Object.keys(withValues))
        if (!(name in declared))
          this.warnings.push(
            `${jobPath}: Unexpected input(s) '${name}', valid inputs are [${Object.keys(declared).join(', ')}]`,
          );
      const inputs: Record<string, string> = {};
      for (const [name, def] of Object.entries(declared))
        if (def.default !== undefined) inputs[name] = String(def.default);
      Object.assign(inputs, withValues);
      const entry = path.normalize(path.join(own, meta.runs.main));
      const r = await runAction({
        entry,
        inputs,
        env,
        workspace: state.workspace,
        node: this.x.opts.node,
        timeoutMs,
      });
      rec.stdout = r.stdout + r.stderr;
      rec.outcome = r.exitCode === 0 ? 'success' : 'failure';
      rec.outputs = r.outputs;
      this.absorb(jobPath, r.stdout, state);
      const records = this.records;
      const jobRec = records.find((j) => j.path === jobPath);
      if (jobRec) jobRec.summary += r.summary;
      if (meta.runs.post) {
        const postEntry = path.normalize(path.join(own, meta.runs.post));
        const postIf = meta.runs['post-if'] ?? 'always()';
        state.posts.push(async () => {
          const conclusions = jobRec?.steps.map((s) => s.conclusion).filter((c) => c !== 'skipped') ?? [];
          if (!evaluateCondition(postIf, { ...jobCtx(), status: { results: conclusions, cancelled: false } }))
            return;
          const p = await runAction({
            entry: postEntry,
            inputs,
            env,
            workspace: state.workspace,
            state: r.state,
            node: this.x.opts.node,
            timeoutMs,
          });
          this.absorb(jobPath, p.stdout, state);
          const postRec: StepRecord = {
            id: `post-${step.id}`,
            name: `Post ${step.id}`,
            uses,
            outcome: p.exitCode === 0 ? 'success' : 'failure',
            conclusion: p.exitCode === 0 ? 'success' : 'failure',
            outputs: {},
            stdout: p.stdout + p.stderr,
          };
          jobRec?.steps.push(postRec);
          if (postRec.conclusion === 'failure') state.status = 'failure';
        });
      }
      return rec;
    }
    const m = /^([^/@]+\/[^/@]+)@([0-9a-f]{40})$/.exec(uses);
    if (!m) throw new Error(`${jobPath}: ${uses} is not pinned to a full commit SHA`);
    const standIn = STAND_INS[m[1] as string];
    if (!standIn) throw new Error(`${jobPath}: no stand-in for ${m[1]}`);
    const r = await standIn({
      inputs: withValues,
      env,
      workspace: state.workspace,
      repositoryFiles: this.x.opts.files,
      sha: this.x.runSha,
      ref: this.x.runRef,
      pushes: this.x.pushes,
    });
    rec.outcome = r.ok ? 'success' : 'failure';
    rec.outputs = r.outputs;
    rec.stdout = [...r.masks.map((v) => `::add-mask::${v}`), ...r.log].join('\n');
    Object.assign(state.exported, r.exports);
    this.absorb(jobPath, rec.stdout, state);
    return rec;
  }

  /** This repository's action a step `uses:`, as its folder (. for the root action), or undefined. */
  private ownAction(uses: string, from: LoadedWorkflow): string | undefined {
    if (uses.startsWith('$/')) {
      if (from.repo !== 'action')
        throw new Error(`${uses}: the calling repository's own actions are not emulated`);
      return uses.slice(2) || '.';
    }
    const m = /^([^/@]+\/[^/@]+)(\/[^@]*)?@(.+)$/.exec(uses);
    if (m && (m[1] as string).toLowerCase() === OWN_REPOSITORY) return (m[2] ?? '/').slice(1) || '.';
    if (uses.startsWith('./')) throw new Error(`${uses}: actions in the workspace are not emulated`);
    return undefined;
  }

  /** Workflow commands the runner acts on: masks and annotations. */
  private absorb(jobPath: string, stdout: string, state: JobState): void {
    for (const line of stdout.split(/\r?\n/)) {
      const mask = /^::add-mask::(.*)$/.exec(line.trimStart());
      if (mask?.[1]) state.masks.add(mask[1]);
      const error = /^::error(?: [^:]*)?::(.*)$/.exec(line.trimStart());
      if (error)
        this.errors.push(`${jobPath}: ${(error[1] ?? '').replace(/%0A/g, '\n').replace(/%25/g, '%')}`);
    }
  }
}

function stringMap(value: Value): Record<string, string> {
  const out: Record<string, string> = {};
  if (value && typeof value === 'object' && !Array.isArray(value))
    for (const [k, v] of Object.entries(value)) out[k] = asString(v);
  return out;
}

async function runBash(
  script: string,
  env: Record<string, string>,
  state: JobState,
  timeoutMs: number,
): Promise<{ exitCode: number | null; stdout: string; outputs: Record<string, string> }> {
  const dir = mkdtempSync(path.join(state.runnerTemp, 'step-'));
  const files = {
    GITHUB_OUTPUT: path.join(dir, 'output'),
    GITHUB_ENV: path.join(dir, 'env'),
    GITHUB_STEP_SUMMARY: path.join(dir, 'summary'),
    GITHUB_PATH: path.join(dir, 'path'),
    GITHUB_STATE: path.join(dir, 'state'),
  };
  for (const f of Object.values(files)) writeFileSync(f, '');
  const file = path.join(dir, 'script.sh');
  writeFileSync(file, script);
  const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
    cwd: state.workspace,
    env: { ...env, ...files },
    stdio: ['ignore', 'pipe', 'pipe'],
    // its own process group, so a timeout ends what the script started too
    detached: true,
  });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stdout += c.toString()));
  const timer = setTimeout(() => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }, timeoutMs);
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  clearTimeout(timer);
  Object.assign(state.exported, parseFileCommands(readFileSync(files.GITHUB_ENV, 'utf8')));
  return { exitCode, stdout, outputs: parseFileCommands(readFileSync(files.GITHUB_OUTPUT, 'utf8')) };
}
