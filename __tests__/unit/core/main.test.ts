import { describe, expect, it } from '@jest/globals';
import { runCommand } from '../../../src/action/run-command.js';
import { DeploymentError, InputError } from '../../../src/action/errors.js';
import { fakeRuntime } from '../../helpers/fake-runtime.js';

describe('runCommand', () => {
  it('fails the step with one error annotation per failure', async () => {
    const annotated = fakeRuntime();
    const annotations: string[] = [];
    annotated.setFailed = (message) => {
      annotated.failed.push(message);
      annotations.push(message);
    };
    await runCommand(annotated, async () => {
      throw new DeploymentError('Deployment d-1 failed in AfterInstall.', { reported: true });
    });
    // the reporter already wrote the detailed annotation: the step fails without a second one
    expect(annotated.failed).toEqual(['Deployment d-1 failed in AfterInstall.']);
    expect(annotations).toEqual([]);
    expect(annotated.logText()).toContain('Deployment d-1 failed in AfterInstall.');

    await runCommand(annotated, async () => {
      throw new InputError("input 'service'", 'is required.', 'Name the ECS service to deploy.');
    });
    expect(annotations).toEqual(["input 'service': is required. Name the ECS service to deploy."]);
  });

  it('marks anything else as unexpected, with its stack in the log only with step debug logging', async () => {
    const rt = fakeRuntime();
    await runCommand(rt, async () => {
      throw new TypeError('x is undefined');
    });
    expect(rt.failed).toEqual(['Unexpected error: x is undefined']);
    expect(rt.logText()).not.toContain('TypeError: x is undefined');
    expect(rt.logText()).toContain('debug logging');

    const debug = fakeRuntime({ env: { RUNNER_DEBUG: '1' } });
    await runCommand(debug, async () => {
      throw new TypeError('x is undefined');
    });
    expect(debug.failed).toEqual(['Unexpected error: x is undefined']);
    expect(debug.logText()).toContain('TypeError: x is undefined');
    expect(debug.logText()).toContain('main.test.ts');
  });
});
