/**
 * Text the action did not write is inert in every job summary: rendered with a CommonMark + GFM renderer
 * (micromark with its GFM extension, raw HTML let through as GitHub's sanitizer would see it) and parsed as
 * HTML (parse5), the summary of hostile inputs has exactly the elements of the same summary with plain words
 * in their place — no heading, comment, raw HTML, link, image, list item or table row of the hostile text's
 * own — and its words are still shown.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { parseFragment } from 'parse5';
import type { Service } from '@aws-sdk/client-ecs';
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { codeDeploySummary } from '../../../src/engines/codedeploy/summary.js';
import { ecsSummary } from '../../../src/engines/ecs/summary.js';
import { renderJobSummary, code, codeCell, escapeMarkdown, fenced } from '../../../src/record/summary.js';
import {
  newCodeDeployPart,
  newDeploymentRecord,
  newEcsPart,
  type DeploymentRecord,
} from '../../../src/record/record.js';
import { diffTaskDefinitions, renderDiffMarkdown } from '../../../src/prepare/diff.js';
import { ecsStagePlan, renderEcsStagePlan } from '../../../src/prepare/ecs-plan.js';
import { renderMigrationCheck } from '../../../src/prepare/ecs-migration.js';
import { runPlan } from '../../../src/commands/plan.js';
import { fakeRuntime } from '../../helpers/fake-runtime.js';
import {
  ecs,
  restoreWorkspaceAfterAll,
  setUpWorld,
  taskDefinitionJson,
  type World,
} from '../../helpers/aws-world.js';

/** Every trick a line of AWS text or a log could try on a Markdown renderer. */
const HOSTILE = [
  'before\r# Deployment approved',
  '<!-- hidden part --> <img src=x onerror=alert(1)> <b>bold</b> <details open>',
  '[click](https://evil.example/a) ![pic](https://evil.example/i.png) https://evil.example/x www.evil.example a@evil.example <https://evil.example>',
  '| extra | cell |\r| --- | --- |\r| injected | row |',
  '\u2028- list item\u2029> quote\u0085## heading\u000b\u000c\r\r1. ordered',
  '**strong** _em_ ~~strike~~ `code` $x$ [^note]',
  '```\n# fence\n```\n~~~\n</details>',
  '&lt;script&gt; &#60;b&#62; &amp;',
  '\n\n- item\n1. one\n\n| a | b |\n|---|---|\n| c | d |\n\n<div>block</div>\n\n    indented',
  '\u202eevil\u202c \u001b[31mred\u001b[0m \\',
].join(' ');

/** Hostile texts that open a line, a list item or a cell. */
const OPENERS = ['# Heading', '- item', '1. one', '> quote', '---', '    indented', '<div>x</div>', '```'];

const BENIGN = 'plain words';

function html(markdown: string): string {
  return micromark(markdown, {
    allowDangerousHtml: true,
    extensions: [gfm()],
    htmlExtensions: [gfmHtml()],
  });
}

interface HtmlNode {
  nodeName: string;
  tagName?: string;
  value?: string;
  data?: string;
  attrs?: Array<{ name: string; value: string }>;
  childNodes?: HtmlNode[];
}

/** The elements and comments of the rendered summary, in order: its shape without the text. */
function shape(markdown: string): string[] {
  const out: string[] = [];
  const walk = (node: HtmlNode): void => {
    if (node.nodeName === '#comment') out.push(`<!--${node.data ?? ''}-->`);
    else if (node.tagName)
      out.push(
        `<${node.tagName}${(node.attrs ?? []).map((a) => ` ${a.name}=${a.name === 'href' || a.name === 'src' ? a.value : ''}`).join('')}>`,
      );
    for (const child of node.childNodes ?? []) walk(child);
  };
  walk(parseFragment(html(markdown)) as unknown as HtmlNode);
  return out;
}

function text(markdown: string): string {
  const parts: string[] = [];
  const walk = (node: HtmlNode): void => {
    if (node.nodeName === '#text') parts.push(node.value ?? '');
    for (const child of node.childNodes ?? []) walk(child);
  };
  walk(parseFragment(html(markdown)) as unknown as HtmlNode);
  return parts.join('');
}

/** The summary of hostile text has the shape of the same summary with plain words, and shows the words. */
function expectInert(render: (untrusted: string) => string, shown = ['Deployment approved']): void {
  const benign = shape(render(BENIGN));
  for (const hostile of [HOSTILE, ...OPENERS]) {
    const markdown = render(hostile);
    expect({ hostile, shape: shape(markdown) }).toEqual({ hostile, shape: benign });
  }
  const visible = text(render(HOSTILE));
  for (const words of shown) expect(visible).toContain(words);
}

function codeDeployRecord(untrusted: string): DeploymentRecord {
  const record = newDeploymentRecord({
    engine: 'codedeploy',
    deploymentId: 'd-ABCDEF123',
    region: 'us-east-1',
    cluster: 'prod',
    service: 'web',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:2',
    images: [{ container: untrusted, image: untrusted }],
    waitUntil: 'succeeded',
    startedAt: 0,
    finishedAt: 60_000,
    status: 'Failed',
    codedeploy: newCodeDeployPart({
      application: 'AppECS-prod-web',
      deploymentGroup: 'DgpECS-prod-web',
      deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce',
    }),
  });
  const part = record.codedeploy!;
  const failed = {
    name: 'AfterAllowTestTraffic',
    status: 'Failed',
    startTime: new Date(0),
    endTime: new Date(30_000),
    diagnostics: {
      errorCode: 'ScriptFailed' as const,
      scriptName: untrusted,
      message: untrusted,
      logTail: untrusted,
    },
  };
  part.events.set('AfterAllowTestTraffic', failed);
  part.failedEvent = failed;
  part.errorInformation = { code: 'HOOK_EXECUTION_FAILURE', message: untrusted };
  record.verdict = 'failed';
  record.verdictText = `Deployment d-ABCDEF123 failed: ${untrusted}`;
  record.rollback = { deploymentId: 'd-ROLLBACK1', status: untrusted };
  record.notes.push(`CodeDeploy said: ${untrusted}`, untrusted);
  record.testGate = {
    command: untrusted,
    exitCode: 1,
    durationMs: 1000,
    outcome: 'failed',
    testUrl: untrusted,
  };
  record.tasksDiagnosis = {
    group: { id: untrusted, desired: 2, running: 0, pending: 2 },
    reasons: [
      { kind: 'stopped-task', text: untrusted, count: 2 },
      { kind: 'service-event', text: `(service web) ${untrusted}`, count: 1 },
    ],
    notShown: new Set(),
  };
  return record;
}

function ecsRecord(untrusted: string): DeploymentRecord {
  const record = newDeploymentRecord({
    engine: 'ecs',
    deploymentId: 'arn:aws:ecs:us-east-1:111122223333:service-deployment/prod/web/abc',
    region: 'us-east-1',
    cluster: 'prod',
    service: 'web',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:2',
    images: [{ container: 'web', image: untrusted }],
    waitUntil: 'succeeded',
    startedAt: 0,
    finishedAt: 60_000,
    status: 'ROLLBACK_SUCCESSFUL',
    ecs: newEcsPart('BLUE_GREEN'),
  });
  const part = record.ecs!;
  part.statusReason = untrusted;
  part.rollbackStage = 'POST_TEST_TRAFFIC_SHIFT';
  part.rollbackReason = untrusted;
  part.replacedBy = untrusted;
  part.hooks.push({ hookId: untrusted, stage: untrusted, targetType: 'AWS_LAMBDA', status: 'FAILED' });
  part.stages.push({ name: 'SCALE_UP', status: 'Done', rollback: false, seenAt: 0, endedAt: 1000 });
  record.verdict = 'failed';
  record.verdictText = untrusted;
  record.notes.push(untrusted);
  record.tasksDiagnosis = {
    reasons: [{ kind: 'stopped-task', text: untrusted, count: 3 }],
    notShown: new Set(),
  };
  return record;
}

describe('the Markdown kit', () => {
  it('escapeMarkdown: one line of text, whatever it holds', () => {
    expectInert((t) => `- ${escapeMarkdown(t)}`);
    expectInert((t) => `**${escapeMarkdown(t)}**`);
    expect(escapeMarkdown('a\rb')).toBe('a\\\\rb');
    expect(text(escapeMarkdown('a\rb\u2028c'))).toBe('a\\rb\\u2028c');
  });

  it('code and codeCell: nothing ends the code span, nothing splits the cell', () => {
    expectInert((t) => `Command ${code(t)} ran`);
    expectInert((t) => `| a | b |\n|---|---|\n| ${codeCell(t)} | ${codeCell(t)} |`);
    expect(text(code('a ``` b'))).toBe('a ``` b');
    expect(
      text(`| x |\n|---|\n| ${codeCell('a|b')} |`)
        .trim()
        .split(/\s+/),
    ).toEqual(['x', 'a|b']);
  });

  it('fenced: no line of the text closes the block, CR is shown', () => {
    expectInert((t) => ['<details><summary>Log</summary>', '', ...fenced(t), '', '</details>'].join('\n'));
    expect(text(fenced('a\rb').join('\n'))).toBe('a\\rb\n');
  });
});

describe('the job summary of hostile AWS text', () => {
  it('CodeDeploy: hook message and log tail, errors, stopped reasons, notes, the test command', () => {
    expectInert((t) => {
      const record = codeDeployRecord(t);
      return renderJobSummary(record, codeDeploySummary(record));
    });
  });

  it('ECS: statusReason, hook ids and stages, rollback reason, stopped reasons, notes', () => {
    expectInert((t) => {
      const record = ecsRecord(t);
      return renderJobSummary(record, ecsSummary(record));
    });
  });
});

describe('the plan of a hostile task definition', () => {
  it('the diff: a hostile command, environment name and value, image and secret', () => {
    expectInert((t) => {
      const running = {
        family: 'web',
        containerDefinitions: [{ name: 'web', image: 'nginx:1', command: ['node'], environment: [] }],
      };
      const next = {
        family: 'web',
        containerDefinitions: [
          {
            name: 'web',
            image: t,
            command: ['sh', '-c', t],
            environment: [{ name: t, value: t }],
            secrets: [{ name: 'S', valueFrom: t }],
          },
        ],
      };
      return renderDiffMarkdown(diffTaskDefinitions(running, next), {
        service: 'web',
        cluster: 'prod',
        deploymentConfig: t,
        imageDigest: t,
      });
    });
  });

  it('the ECS stage plan: hook targets, alarm names, listener rules from AWS', () => {
    expectInert(
      (t) => {
        const service: Service = {
          serviceName: 'web',
          deploymentController: { type: 'ECS' },
          deploymentConfiguration: {
            strategy: 'BLUE_GREEN',
            bakeTimeInMinutes: 5,
            alarms: { enable: true, rollback: true, alarmNames: [t] },
            lifecycleHooks: [
              {
                hookTargetArn: `arn:aws:lambda:us-east-1:1:function:${t}`,
                lifecycleStages: ['POST_SCALE_UP'],
              },
            ],
          },
          loadBalancers: [
            {
              containerName: t,
              containerPort: 80,
              targetGroupArn: t,
              advancedConfiguration: {
                alternateTargetGroupArn: t,
                productionListenerRule: t,
                testListenerRule: t,
                roleArn: t,
              },
            },
          ],
        };
        return renderEcsStagePlan(service, ecsStagePlan(service));
      },
      ['evil.example'],
    );
  });

  it('the migration check: item texts that quote AWS, the switch', () => {
    expectInert(
      (t) =>
        renderMigrationCheck({
          items: [{ state: 'missing', text: `Listener rule ${t} could not be read`, source: 'DG' }],
          cli: `aws ecs update-service --service ${t}`,
          cloudFormation: `Service: ${t}`,
        } as unknown as Parameters<typeof renderMigrationCheck>[0]),
      ['evil.example'],
    );
  });
});

describe('the plan command', () => {
  restoreWorkspaceAfterAll();
  let world: World;
  beforeEach(() => {
    world = setUpWorld();
  });

  it('writes a summary where a hostile running revision and file are text', async () => {
    const summaries: Record<string, string> = {};
    for (const t of [BENIGN, HOSTILE]) {
      world = setUpWorld();
      const container = { ...taskDefinitionJson.containerDefinitions?.[0], name: 'web' };
      ecs.on(DescribeTaskDefinitionCommand).resolves({
        taskDefinition: {
          ...taskDefinitionJson,
          containerDefinitions: [{ ...container, command: [t], environment: [{ name: t, value: t }] }],
        },
      });
      world.file('task-definition.json', {
        ...taskDefinitionJson,
        containerDefinitions: [{ ...container, image: 'nginx:1.28', command: ['run', t] }],
      });
      const rt = fakeRuntime({
        inputs: {
          service: 'web',
          cluster: 'prod',
          'task-definition': 'task-definition.json',
          'aws-region': 'us-east-1',
        },
      });
      await runPlan(rt);
      summaries[t] = rt.summaries.join('\n');
    }
    expect(shape(summaries[HOSTILE] as string)).toEqual(shape(summaries[BENIGN] as string));
    expect(text(summaries[HOSTILE] as string)).toContain('Deployment approved');
  });
});
