/**
 * The workflow executor's own rules, on small workflows of run: steps (no action, no deployment): what
 * GitHub does with skipped and failed needs, status functions, continue-on-error, typed reusable-workflow
 * inputs and outputs, masked outputs, approvals, and who gets an OIDC token. Each rule is cited in
 * __tests__/helpers/workflow-executor.ts and workflow-expressions.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type Emulator } from '../../../emulator/index.js';
import { WorkflowExecutor, type Approval } from '../../helpers/workflow-executor.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator();
});
afterAll(async () => {
  await emulator.stop();
});

async function run(
  files: Record<string, string>,
  o: { approvals?: Record<string, Approval>; secrets?: Record<string, string> } = {},
) {
  const x = new WorkflowExecutor({
    emulator,
    repository: 'acme/web',
    files,
    protectedEnvironments: ['production'],
    approvals: o.approvals ?? {},
    secrets: o.secrets ?? {},
  });
  try {
    return await x.run('.github/workflows/main.yml', { name: 'push' });
  } finally {
    await x.close();
  }
}

const wf = (jobs: string) => `name: t\non: push\npermissions: {}\njobs:\n${jobs}`;

describe('workflow executor: jobs', () => {
  it('a skipped job skips the jobs after it, even two levels down past an always() job (actions/runner#2205)', async () => {
    const r = await run({
      '.github/workflows/main.yml': wf(`
  a:
    if: false
    runs-on: ubuntu-latest
    steps: [{ run: 'true' }]
  b:
    needs: a
    if: always()
    runs-on: ubuntu-latest
    steps: [{ run: 'true' }]
  c:
    needs: b
    runs-on: ubuntu-latest
    steps: [{ run: 'true' }]
  d:
    needs: b
    if: \${{ !cancelled() && needs.b.result == 'success' }}
    runs-on: ubuntu-latest
    steps: [{ run: 'true' }]
`),
    });
    expect(r.results).toEqual({ a: 'skipped', b: 'success', c: 'skipped', d: 'success' });
    expect(r.conclusion).toBe('success');
  });

  it('failure() sees a failed ancestor; the default success() skips; the run fails', async () => {
    const r = await run({
      '.github/workflows/main.yml': wf(`
  a:
    runs-on: ubuntu-latest
    steps: [{ run: 'exit 3' }]
  b:
    needs: a
    runs-on: ubuntu-latest
    steps: [{ run: 'true' }]
  c:
    needs: b
    if: failure()
    runs-on: ubuntu-latest
    steps: [{ run: 'true' }]
`),
    });
    expect(r.results).toEqual({ a: 'failure', b: 'skipped', c: 'success' });
    expect(r.conclusion).toBe('failure');
  });

  it('a withheld approval leaves the job waiting and its dependents unstarted; a rejected one fails it without running', async () => {
    const files = {
      '.github/workflows/main.yml': wf(`
  deploy:
    environment: production
    runs-on: ubuntu-latest
    steps: [{ run: 'echo deployed' }]
  after:
    needs: deploy
    runs-on: ubuntu-latest
    steps: [{ run: 'true' }]
  independent:
    runs-on: ubuntu-latest
    steps: [{ run: 'true' }]
`),
    };
    const withheld = await run(files);
    expect(withheld.results).toEqual({ deploy: 'waiting', after: 'not-started', independent: 'success' });
    expect(withheld.status).toBe('waiting');
    const rejected = await run(files, { approvals: { production: 'reject' } });
    expect(rejected.results).toEqual({ deploy: 'failure', after: 'skipped', independent: 'success' });
    expect(rejected.job('deploy')).toMatchObject({ approval: 'rejected', steps: [] });
    const approved = await run(files, { approvals: { production: 'approve' } });
    expect(approved.results).toEqual({ deploy: 'success', after: 'success', independent: 'success' });
  });

  it('an output holding a secret or a masked value is dropped, as the runner does', async () => {
    const r = await run(
      {
        '.github/workflows/main.yml': wf(`
  a:
    runs-on: ubuntu-latest
    outputs:
      plain: \${{ steps.s.outputs.plain }}
      secret: \${{ steps.s.outputs.secret }}
      masked: \${{ steps.s.outputs.masked }}
    steps:
      - id: s
        env: { TOKEN: '\${{ secrets.TOKEN }}' }
        run: |
          echo "::add-mask::m4sk3d"
          { echo plain=hello; echo "secret=x-$TOKEN"; echo masked=m4sk3d-1; } >> "$GITHUB_OUTPUT"
`),
      },
      { secrets: { TOKEN: 't0k3n' } },
    );
    expect(r.job('a').outputs).toEqual({ plain: 'hello' });
    expect(r.warnings).toEqual([
      "a: Skip output 'secret' since it may contain secret.",
      "a: Skip output 'masked' since it may contain secret.",
    ]);
  });
});

describe('workflow executor: steps', () => {
  it('continue-on-error: outcome failure, conclusion success; success() and failure() see conclusions', async () => {
    const r = await run({
      '.github/workflows/main.yml': wf(`
  a:
    runs-on: ubuntu-latest
    outputs:
      seen: \${{ steps.report.outputs.seen }}
    steps:
      - id: flaky
        continue-on-error: true
        run: exit 1
      - id: next
        run: 'true'
      - id: broken
        run: exit 2
      - id: skipped
        run: 'true'
      - id: report
        if: failure()
        env:
          SEEN: \${{ steps.flaky.outcome }}/\${{ steps.flaky.conclusion }}/\${{ steps.skipped.conclusion }}
        run: echo "seen=$SEEN" >> "$GITHUB_OUTPUT"
`),
    });
    const steps = Object.fromEntries(r.job('a').steps.map((s) => [s.id, `${s.outcome}/${s.conclusion}`]));
    expect(steps).toEqual({
      flaky: 'failure/success',
      next: 'success/success',
      broken: 'failure/failure',
      skipped: 'skipped/skipped',
      report: 'success/success',
    });
    expect(r.job('a')).toMatchObject({ result: 'failure', outputs: { seen: 'failure/success/skipped' } });
  });

  it('GITHUB_ENV exports reach the later steps; timeout-minutes ends a step that runs too long', async () => {
    const r = await run({
      '.github/workflows/main.yml': wf(`
  a:
    runs-on: ubuntu-latest
    outputs:
      got: \${{ steps.read.outputs.got }}
    steps:
      - run: echo "GREETING=hi there" >> "$GITHUB_ENV"
      - id: read
        run: echo "got=$GREETING" >> "$GITHUB_OUTPUT"
      - timeout-minutes: 0.01
        run: sleep 5
`),
    });
    expect(r.job('a').outputs).toEqual({ got: 'hi there' });
    expect(r.job('a').steps.map((s) => s.outcome)).toEqual(['success', 'success', 'failure']);
  });
});

describe('workflow executor: reusable workflows', () => {
  const called = `name: called
on:
  workflow_call:
    inputs:
      minutes: { type: number, default: 5 }
      flag: { type: boolean, default: false }
      label: { type: string, required: true }
    outputs:
      summary:
        value: \${{ jobs.inner.outputs.summary }}
jobs:
  inner:
    runs-on: ubuntu-latest
    permissions:
      id-token: write
    outputs:
      summary: \${{ steps.s.outputs.summary }}
    steps:
      - id: s
        env:
          SUMMARY: \${{ inputs.label }} \${{ toJSON(inputs.minutes) }} \${{ toJSON(inputs.flag) }}
        run: |
          echo "summary=$SUMMARY token:\${ACTIONS_ID_TOKEN_REQUEST_URL:+yes}" >> "$GITHUB_OUTPUT"
`;

  it('typed inputs with their defaults, outputs through the jobs context; id-token capped by the calling job', async () => {
    const caller = (permissions: string, withLines: string) =>
      wf(`
  call:
    uses: ./.github/workflows/called.yml
    permissions: ${permissions}
    with:
${withLines}
`);
    const granted = await run({
      '.github/workflows/main.yml': caller('{ id-token: write }', "      label: L\n      minutes: '41'"),
      '.github/workflows/called.yml': called,
    });
    expect(granted.results).toEqual({ 'call/inner': 'success', call: 'success' });
    expect(granted.job('call').outputs).toEqual({ summary: 'L 41 false token:yes' });
    expect(granted.job('call/inner').idToken).toBe(true);

    const capped = await run({
      '.github/workflows/main.yml': caller('{ contents: read }', '      label: L\n      flag: true'),
      '.github/workflows/called.yml': called,
    });
    expect(capped.job('call').outputs).toEqual({ summary: 'L 5 true token:' });
    expect(capped.job('call/inner').idToken).toBe(false);
  });

  it('refuses a workflow GitHub would refuse, and an input the called workflow does not declare', async () => {
    await expect(
      run({
        '.github/workflows/main.yml': wf(
          '  a:\n    runs-on: ubuntu-latest\n    steps: [{ run: true, uses: x }]\n',
        ),
      }),
    ).rejects.toThrow(/main\.yml/);
    await expect(
      run({
        '.github/workflows/main.yml': wf(
          '  call:\n    uses: ./.github/workflows/called.yml\n    with: { label: L, colour: red }\n',
        ),
        '.github/workflows/called.yml': called,
      }),
    ).rejects.toThrow(/has no input colour/);
  });
});
