import { describe, expect, it } from '@jest/globals';
import { DeploymentReporter } from '../../../src/engines/codedeploy/reporter.js';
import { consoleUrl } from '../../../src/aws/console-url.js';
import { formatDuration } from '../../../src/record/format.js';
import { describeDiagnostics, trafficBar } from '../../../src/engines/codedeploy/format.js';
import {
  newCodeDeployPart,
  newDeploymentRecord,
  type CodeDeployRecordPart,
  type DeploymentRecord,
} from '../../../src/record/record.js';
import { codeDeploySummary, orderedEvents } from '../../../src/engines/codedeploy/summary.js';
import { escapeMarkdown, renderJobSummary as renderFrame } from '../../../src/record/summary.js';
import { diffObservations, type Observation } from '../../../src/engines/codedeploy/progress.js';
import {
  DEPLOYMENT_ID,
  deployment,
  event,
  events,
  target,
  taskSet,
} from '../../helpers/codedeploy-fixtures.js';
import { START_MS, fakeRuntime } from '../../helpers/fake-runtime.js';

const renderJobSummary = (record: DeploymentRecord): string => renderFrame(record, codeDeploySummary(record));

/** The record's CodeDeploy part. */
function cd(record: DeploymentRecord): CodeDeployRecordPart {
  if (!record.codedeploy) throw new Error('no CodeDeploy part');
  return record.codedeploy;
}

function newRecord() {
  return newDeploymentRecord({
    engine: 'codedeploy',
    deploymentId: DEPLOYMENT_ID,
    region: 'us-east-1',
    codedeploy: newCodeDeployPart({ application: 'AppECS-prod-web', deploymentGroup: 'DgpECS-prod-web' }),
    cluster: 'prod',
    service: 'web',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:42',
    images: [{ container: 'web', image: 'nginx:1.27' }],
    waitUntil: 'succeeded',
    startedAt: START_MS,
  });
}

function feed(reporter: DeploymentReporter, previous: Observation | undefined, next: Observation): void {
  for (const change of diffObservations(previous, next)) reporter.handle(change, next);
}

const failedHook = event('AfterAllowTestTraffic', 'Failed', {
  startTime: new Date(START_MS + 40_000),
  endTime: new Date(START_MS + 100_000),
  diagnostics: {
    errorCode: 'ScriptFailed',
    scriptName: 'smoke-test',
    message: 'HTTP 500',
    logTail: 'GET /health 500',
  },
});

describe('formatting', () => {
  it('formats durations, console links, traffic bars and diagnostics', () => {
    expect(formatDuration(42_400)).toBe('42s');
    expect(formatDuration(125_000)).toBe('2m 05s');
    expect(formatDuration(3 * 3600_000 + 7 * 60_000)).toBe('3h 07m');
    expect(formatDuration(undefined)).toBe('–');
    expect(consoleUrl('us-east-1', 'd-1')).toBe(
      'https://us-east-1.console.aws.amazon.com/codesuite/codedeploy/deployments/d-1?region=us-east-1',
    );
    expect(consoleUrl('cn-north-1', 'd-1')).toMatch(/^https:\/\/console\.amazonaws\.cn\//);
    expect(
      trafficBar(
        [
          { label: 'Blue', weight: 75 },
          { label: 'Green', weight: 25 },
        ],
        8,
      ),
    ).toBe('[██░░░░░░]');
    expect(describeDiagnostics(failedHook)).toBe('ScriptFailed — hook smoke-test — HTTP 500');
  });
});

describe('DeploymentReporter', () => {
  it('logs each transition with the time since the start, and keeps the record', () => {
    const rt = fakeRuntime();
    const record = newRecord();
    const reporter = new DeploymentReporter(record, rt, () => rt.clock.now());
    const first: Observation = {
      at: START_MS,
      deployment: deployment('InProgress'),
      target: target('InProgress', events(1)),
    };
    feed(reporter, undefined, first);
    rt.clock.advance(65_000);
    const second: Observation = {
      at: rt.clock.now(),
      deployment: deployment('InProgress'),
      target: target('InProgress', events(7), [taskSet('Blue', 90), taskSet('Green', 10)]),
    };
    feed(reporter, first, second);
    const log = rt.logText('info');
    expect(log).toContain(`[00:00] Deployment ${DEPLOYMENT_ID}: InProgress`);
    expect(log).toContain('[00:00] ▶ BeforeInstall');
    // an event is stamped when CodeDeploy says it happened (Install ended 15 s in), not when it was seen
    expect(log).toContain('[00:15] ✔ Install succeeded (5s)');
    expect(log).toContain('[00:20] ▶ AfterInstall');
    expect(log).toContain('[01:05] ⇄ traffic [██░░░░░░░░░░░░░░░░░░] Blue 90% · Green 10%');
    expect(record.status).toBe('InProgress');
    expect(cd(record).events.get('AfterAllowTraffic')?.status).toBe('InProgress');
    expect(cd(record).events.get('AllowTraffic')?.status).toBe('Succeeded');
    expect(cd(record).traffic).toHaveLength(1);
  });

  it('records the failed event and reports it as an error annotation with the log tail', () => {
    const rt = fakeRuntime();
    const record = newRecord();
    const reporter = new DeploymentReporter(record, rt, () => rt.clock.now());
    const failed: Observation = {
      at: START_MS,
      deployment: deployment('Failed', {
        errorInformation: { code: 'HOOK_EXECUTION_FAILURE', message: 'hook failed' },
        rollbackInfo: { rollbackMessage: 'Rolled back by d-RB' },
      }),
      target: target('Failed', [...events(4).slice(0, 4), failedHook]),
    };
    feed(reporter, undefined, failed);
    reporter.absorb(failed);
    expect(cd(record).failedEvent?.name).toBe('AfterAllowTestTraffic');
    reporter.reportFailure(failed.deployment);
    const error = rt.lines.find((l) => l.level === 'error');
    expect(error?.title).toBe(`CodeDeploy deployment ${DEPLOYMENT_ID} Failed`);
    expect(error?.message).toContain(
      'Lifecycle event AfterAllowTestTraffic failed: ScriptFailed — hook smoke-test — HTTP 500',
    );
    expect(error?.message).toContain('CodeDeploy: HOOK_EXECUTION_FAILURE: hook failed');
    expect(error?.message).toContain('Rolled back by d-RB');
    const group = rt.lines.findIndex((l) => l.level === 'group' && l.message === 'Log tail of smoke-test');
    expect(group).toBeGreaterThan(-1);
    expect(rt.lines[group + 1]?.message).toBe('GET /health 500');
  });

  it('orders the events of the record and marks those never reached', () => {
    const record = newRecord();
    cd(record).events.set('Install', { name: 'Install', status: 'Succeeded' });
    const ordered = orderedEvents(cd(record).events);
    expect(ordered.map((e) => e.name).slice(0, 3)).toEqual(['BeforeInstall', 'Install', 'AfterInstall']);
    expect(ordered[0]?.status).toBe('Not reached');
    expect(ordered[1]?.status).toBe('Succeeded');
  });
});

describe('renderJobSummary', () => {
  it('shows the verdict, what was deployed, the lifecycle and the traffic steps', () => {
    const record = newRecord();
    record.verdict = 'succeeded';
    record.status = 'Succeeded';
    record.finishedAt = START_MS + 300_000;
    cd(record).events.set('Install', {
      name: 'Install',
      status: 'Succeeded',
      startTime: new Date(START_MS),
      endTime: new Date(START_MS + 61_000),
    });
    cd(record).traffic.push({
      at: START_MS + 120_000,
      weights: [
        { label: 'Blue', weight: 0 },
        { label: 'Green', weight: 100 },
      ],
    });
    const md = renderJobSummary(record);
    expect(md).toContain('## ✅ ECS blue/green deployment of `prod/web`');
    expect(md).toContain(
      `| Deployment | [${DEPLOYMENT_ID}](${consoleUrl('us-east-1', DEPLOYMENT_ID)}) · Succeeded |`,
    );
    expect(md).toContain('| Image (web) | `nginx:1.27` |');
    expect(md).toContain('| Install | ✅ Succeeded | 12:00:00 | 1m 01s |');
    expect(md).toContain('| 2m 00s | Blue 0% · Green 100% |');
    expect(md).toContain('| Time followed | 5m 00s |');
    expect(md).not.toContain('### Why');
  });

  it('explains a failure: the event, CodeDeploy error, notes and the hook log tail', () => {
    const record = newRecord();
    record.verdict = 'failed';
    cd(record).failedEvent = {
      name: 'AfterAllowTestTraffic',
      status: 'Failed',
      diagnostics: failedHook.diagnostics,
    };
    cd(record).errorInformation = { code: 'HOOK_EXECUTION_FAILURE', message: 'a | b' };
    record.notes.push('rollback-on-failure is false');
    const md = renderJobSummary(record);
    expect(md).toContain('## ❌');
    expect(md).toContain('### Why');
    expect(md).toContain(
      '- Lifecycle event **AfterAllowTestTraffic** failed: ScriptFailed — hook smoke-test — HTTP 500',
    );
    expect(md).toContain('- CodeDeploy: HOOK\\_EXECUTION\\_FAILURE: a \\| b');
    expect(md).toContain('- rollback-on-failure is false');
    expect(md).toContain('```\nGET /health 500\n```');
  });

  it('escapes markdown and keeps a note on one line', () => {
    expect(escapeMarkdown('a|b*c\nd')).toBe('a\\|b\\*c d');
  });
});

describe('a rollback deployment', () => {
  it('tells traffic going back to the original task set, not to "Green"', () => {
    const rt = fakeRuntime();
    const record = newRecord();
    cd(record).isRollback = true;
    const reporter = new DeploymentReporter(record, rt, () => START_MS + 5000);
    const shifting: Observation = {
      at: START_MS,
      deployment: deployment('InProgress'),
      target: target('InProgress', events(7), [taskSet('Blue', 100), taskSet('Green', 0)]),
    };
    const back: Observation = {
      at: START_MS + 5000,
      deployment: deployment('InProgress'),
      target: target('Succeeded', events(8), [taskSet('Blue', 0), taskSet('Green', 100)]),
    };
    feed(reporter, undefined, shifting);
    feed(reporter, shifting, back);
    const log = rt.logText();
    expect(log).toContain('original 100%');
    expect(log).toContain('rolled-back replacement 0%');
    expect(log).not.toMatch(/Green \d+%/);
    expect(log).toContain('Production traffic is back on the original task set.');
    expect(log).not.toContain('Production traffic is on the replacement task set');
    const summary = renderJobSummary(record);
    expect(summary).toMatch(/^## .* Rollback of `prod\/web`/);
    expect(summary).toContain('original 100%');
  });
});
