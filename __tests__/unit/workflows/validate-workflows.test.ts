import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ACTIONLINT_OUTDATED,
  checkWithActionlint,
  localFileProvider,
  REPO_ROOT,
  validateWorkflow,
  workflowFiles,
  workflowReference,
  type Finding,
} from '../../../scripts/validate-workflows.js';

const broken = (name: string): string => `__tests__/fixtures/broken/workflows/${name}`;
const messages = (findings: Finding[]): string[] => findings.map((f) => `[${f.source}] ${f.message}`);

describe('every workflow and template', () => {
  const files = workflowFiles();

  it('finds the reusable workflows and the templates', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        '.github/workflows/build.yml',
        '.github/workflows/_deploy.yml',
        '.github/workflows/deploy-dev.yml',
        '.github/workflows/deploy-prod.yml',
        '.github/workflows/operate.yml',
        'workflows-templates/ecs-blue-green-pipeline.yml',
        'workflows-templates/ecs-blue-green-operate.yml',
      ]),
    );
  });

  it.each(workflowFiles())(
    '%s passes @actions/workflow-parser, the input checks and actionlint',
    async (file) => {
      expect(messages(await validateWorkflow(file))).toEqual([]);
    },
  );
});

describe('broken workflows are rejected with a message naming the problem', () => {
  it('an input the called workflow does not declare, and a required one left out', async () => {
    const found = messages(await validateWorkflow(broken('caller-unknown-input.yml')));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Invalid input, imag is not defined in the referenced workflow/),
        expect.stringMatching(/Input image is required, but not provided while calling/),
      ]),
    );
  });

  it('a call to this repository by owner/repo@ref is resolved from the checkout too', async () => {
    const content = readFileSync(path.join(REPO_ROOT, broken('caller-wrong-type.yml')), 'utf8').replace(
      'container-name: web',
      'container: web',
    );
    const found = messages(await validateWorkflow(broken('caller-wrong-type.yml'), { content }));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Invalid input, container is not defined/),
        expect.stringMatching(/Input container-name is required/),
      ]),
    );
  });

  it('a literal of the wrong type for a number input', async () => {
    const found = messages(await validateWorkflow(broken('caller-wrong-type.yml')));
    expect(found).toEqual([
      expect.stringMatching(/\[reusable-call\] Input wait-for-minutes .* is a number, but "forty" is given/),
    ]);
  });

  it('environment on a job that calls a reusable workflow', async () => {
    const found = messages(await validateWorkflow(broken('environment-on-calling-job.yml')));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/\[workflow-parser\].*Unexpected value 'environment'/),
        expect.stringMatching(/\[actionlint\].*"environment" is not available/),
      ]),
    );
  });

  it('a step output that does not exist (actionlint)', async () => {
    const found = await validateWorkflow(broken('undefined-step-output.yml'));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      source: 'actionlint',
      line: 12,
      message: expect.stringMatching(/property "frist" is not defined/),
    });
  });

  it('an expression naming a context that does not exist (parser)', async () => {
    const content = readFileSync(path.join(REPO_ROOT, '.github/workflows/operate.yml'), 'utf8').replace(
      '${{ inputs.deployment-id }}',
      '${{ input.deployment-id }}',
    );
    const found = messages(await validateWorkflow('.github/workflows/operate.yml', { content }));
    expect(found).toEqual(
      expect.arrayContaining([expect.stringMatching(/Unrecognized named-value: 'input'/)]),
    );
  });

  it('a call to a workflow that does not exist in this repository', async () => {
    const content = readFileSync(path.join(REPO_ROOT, broken('caller-wrong-type.yml')), 'utf8')
      .replace('deploy-dev.yml@v1', 'deploy-staging.yml@v1')
      .replace('forty', '40');
    const found = messages(await validateWorkflow(broken('caller-wrong-type.yml'), { content }));
    expect(found.join('\n')).toMatch(/deploy-staging\.yml/);
  });
});

describe('self-repository references ($/)', () => {
  it('a $/ call is resolved from the checkout: an unknown input to _deploy.yml is reported', async () => {
    const file = '.github/workflows/deploy-dev.yml';
    const content = readFileSync(path.join(REPO_ROOT, file), 'utf8').replace(
      'container-name: ${{ inputs.container-name }}',
      'container: ${{ inputs.container-name }}',
    );
    expect(content).toContain('uses: $/.github/workflows/_deploy.yml');
    const found = messages(await validateWorkflow(file, { content }));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Invalid input, container is not defined/),
        expect.stringMatching(/Input container-name is required/),
      ]),
    );
  });

  it('actionlint 1.7.7 messages about $/ are dropped, and nothing else: a missing @ref elsewhere still fails', async () => {
    const content = [
      'on: push',
      'permissions: {}',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    permissions: {}',
      '    steps:',
      '      - uses: $/.',
      '      - uses: $/plan',
      '      - uses: octo/tool',
      '  b:',
      '    uses: $/.github/workflows/_deploy.yml',
      '  c:',
      '    uses: octo/other/.github/workflows/x.yml',
      '',
    ].join('\n');
    const found = (await checkWithActionlint('.github/workflows/s.yml', content)).map((f) => f.message);
    expect(found).toEqual([
      expect.stringMatching(/specifying action "octo\/tool" in invalid format because ref is missing/),
      expect.stringMatching(
        /reusable workflow call "octo\/other\/\.github\/workflows\/x\.yml" at "uses" is not following/,
      ),
    ]);
  });

  it('references to this repository are parsed for the input checks', () => {
    expect(workflowReference('$/.github/workflows/_deploy.yml')).toEqual({
      path: '.github/workflows/_deploy.yml',
    });
    expect(workflowReference('$/plan')).toBeUndefined();
  });
});

describe('the actionlint wrapper', () => {
  it('drops only the outdated concurrency.queue message', async () => {
    const content = [
      'on: push',
      'permissions: {}',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    concurrency:',
      '      group: g',
      '      queue: max',
      '      cancel-in-progres: false',
      '    steps:',
      '      - run: echo hi',
      '',
    ].join('\n');
    const found = await checkWithActionlint('.github/workflows/q.yml', content);
    expect(found.map((f) => f.message)).toEqual([
      expect.stringMatching(/unexpected key "cancel-in-progres"/),
    ]);
    expect(ACTIONLINT_OUTDATED.map((o) => o.why)).toEqual([
      'concurrency.queue is newer than actionlint 1.7.7',
      'step uses: $/… (self-repository action) is newer than actionlint 1.7.7',
      'job uses: $/.github/workflows/… (self-repository reusable workflow) is newer than actionlint 1.7.7',
    ]);
  });
});

describe('resolving called workflows', () => {
  it('parses local and same-repository references and nothing else', () => {
    expect(workflowReference('./.github/workflows/x.yml')).toEqual({ path: './.github/workflows/x.yml' });
    expect(workflowReference('acme-platform/ecs-codedeploy-action/.github/workflows/_deploy.yml@v1')).toEqual(
      {
        owner: 'acme-platform',
        repository: 'ecs-codedeploy-action',
        path: '.github/workflows/_deploy.yml',
        version: 'v1',
      },
    );
    expect(workflowReference('actions/checkout@v5')).toBeUndefined();
  });

  it('refuses other repositories (no network)', async () => {
    await expect(
      localFileProvider().getFileContent({
        owner: 'octo',
        repository: 'other',
        path: '.github/workflows/x.yml',
        version: 'v1',
      }),
    ).rejects.toThrow(/another repository/);
  });
});
