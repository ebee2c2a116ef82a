/**
 * Issue #10 part 1: a main step killed while CreateDeployment is in flight. The state says 'creating'
 * (with the group and this run's mark) before the request is sent; the post step finds the deployment by
 * the mark in its description and applies rollback-on-cancel, leaving every other run's deployment alone.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  CreateDeploymentCommand,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import { runDeploy } from '../../../src/commands/deploy.js';
import { runPost } from '../../../src/commands/post.js';
import { STATE_KEYS } from '../../../src/action/state.js';
import { MAX_DESCRIPTION_LENGTH } from '../../../src/action/inputs.js';
import { carriesMarker, describeWithMarker, runMarker } from '../../../src/action/run-marker.js';
import { DEPLOYMENT_ID, deployment } from '../../helpers/codedeploy-fixtures.js';
import { START_MS, awsError, errorOf, fakeRuntime } from '../../helpers/fake-runtime.js';
import { cd, restoreWorkspaceAfterAll, setUpWorld } from '../../helpers/aws-world.js';

restoreWorkspaceAfterAll();
beforeEach(() => {
  setUpWorld();
  cd.on(CreateDeploymentCommand).resolves({ deploymentId: DEPLOYMENT_ID });
});

const RUN_ENV = { GITHUB_RUN_ID: '1234567890', GITHUB_RUN_ATTEMPT: '2' };
const MARK = '[github-run 1234567890/2 0a1b2c3d]';

describe('the run mark', () => {
  it('names the run, the attempt and a nonce; no run id (a local run), no mark', () => {
    expect(runMarker(RUN_ENV, '0a1b2c3d')).toBe(MARK);
    expect(runMarker({ GITHUB_RUN_ID: '77' }, 'ffffffff')).toBe('[github-run 77/1 ffffffff]');
    expect(runMarker({})).toBeUndefined();
    expect(runMarker({ GITHUB_RUN_ID: '12; rm -rf' })).toBeUndefined();
    expect(runMarker(RUN_ENV)).toMatch(/^\[github-run 1234567890\/2 [0-9a-f]{8}\]$/);
  });

  it("is appended within the limit: the user's part is cut, never the mark", () => {
    expect(describeWithMarker('Deploy web', MARK)).toBe(`Deploy web ${MARK}`);
    expect(describeWithMarker('Deploy web', undefined)).toBe('Deploy web');
    const long = describeWithMarker('x'.repeat(600), MARK);
    expect(long).toHaveLength(MAX_DESCRIPTION_LENGTH);
    expect(long.endsWith(`… ${MARK}`)).toBe(true);
    expect(carriesMarker(long, MARK)).toBe(true);
  });

  it('matches only the same run, attempt and nonce, at the end of the description', () => {
    expect(carriesMarker(`Deploy ${MARK}`, MARK)).toBe(true);
    expect(carriesMarker('Deploy [github-run 1234567890/1 0a1b2c3d]', MARK)).toBe(false);
    expect(carriesMarker('Deploy [github-run 1234567891/2 0a1b2c3d]', MARK)).toBe(false);
    expect(carriesMarker('Deploy [github-run 1234567890/2 0a1b2c3e]', MARK)).toBe(false);
    expect(carriesMarker(`${MARK} copied into another description`, MARK)).toBe(false);
    expect(carriesMarker(undefined, MARK)).toBe(false);
  });
});

describe('the main step, around CreateDeployment', () => {
  const inputs = {
    service: 'web',
    cluster: 'prod',
    'task-definition': 'task-definition.json',
    'aws-region': 'us-east-1',
    'wait-until': 'none',
  };

  it("saves phase 'creating', the group and the mark before the request is sent; the id after", async () => {
    const rt = fakeRuntime({ inputs, env: RUN_ENV });
    let stateWhenSent: Record<string, string> = {};
    cd.on(CreateDeploymentCommand).callsFake(() => {
      stateWhenSent = { ...rt.state };
      return { deploymentId: DEPLOYMENT_ID };
    });
    expect(await errorOf(runDeploy(rt))).toBeUndefined();
    expect(stateWhenSent[STATE_KEYS.phase]).toBe('creating');
    expect(stateWhenSent[STATE_KEYS.deploymentId]).toBeUndefined();
    expect(stateWhenSent[STATE_KEYS.application]).toBe('AppECS-prod-web');
    expect(stateWhenSent[STATE_KEYS.deploymentGroup]).toBe('DgpECS-prod-web');
    expect(stateWhenSent[STATE_KEYS.createStartedAt]).toBe(String(START_MS));
    const mark = stateWhenSent[STATE_KEYS.runMarker] as string;
    expect(mark).toMatch(/^\[github-run 1234567890\/2 [0-9a-f]{8}\]$/);
    const description = cd.commandCalls(CreateDeploymentCommand)[0]?.args[0].input.description;
    expect(description?.endsWith(` ${mark}`)).toBe(true);
    expect(rt.state[STATE_KEYS.deploymentId]).toBe(DEPLOYMENT_ID);
  });

  it("a refusal leaves nothing for the post step; an unknown outcome leaves 'failed' for it", async () => {
    cd.on(CreateDeploymentCommand).rejects(awsError('InvalidRevisionException', 'bad AppSpec'));
    const refused = fakeRuntime({ inputs, env: RUN_ENV });
    await errorOf(runDeploy(refused));
    expect(refused.state[STATE_KEYS.phase]).toBe('done');
    cd.on(CreateDeploymentCommand).rejects(
      awsError('InternalFailure', 'try again', { httpStatusCode: 500, fault: 'server' }),
    );
    const unknown = fakeRuntime({ inputs, env: RUN_ENV });
    await errorOf(runDeploy(unknown));
    expect(unknown.state[STATE_KEYS.phase]).toBe('failed');
    expect(unknown.state[STATE_KEYS.runMarker]).toMatch(/^\[github-run /);
  });

  it('a local run (no GITHUB_RUN_ID) adds no mark to the description', async () => {
    const rt = fakeRuntime({ inputs: { ...inputs, 'codedeploy-deployment-description': 'by hand' } });
    expect(await errorOf(runDeploy(rt))).toBeUndefined();
    expect(cd.commandCalls(CreateDeploymentCommand)[0]?.args[0].input.description).toBe('by hand');
  });
});

describe("the post step after phase 'creating'", () => {
  const state = {
    [STATE_KEYS.phase]: 'creating',
    [STATE_KEYS.application]: 'AppECS-prod-web',
    [STATE_KEYS.deploymentGroup]: 'DgpECS-prod-web',
    [STATE_KEYS.runMarker]: MARK,
    [STATE_KEYS.createStartedAt]: String(START_MS),
    [STATE_KEYS.rollbackOnCancel]: 'true',
    [STATE_KEYS.rollbackOnFailure]: 'true',
  };
  const ours = deployment('InProgress', { deploymentId: 'd-OURS00001', description: `web ${MARK}` });
  const otherAttempt = deployment('InProgress', {
    deploymentId: 'd-OTHER0001',
    description: 'web [github-run 1234567890/1 0a1b2c3d]',
  });
  const byHand = deployment('Created', { deploymentId: 'd-HAND00001', description: 'by hand' });

  function answer(list: (typeof ours)[]): void {
    cd.on(ListDeploymentsCommand).resolves({ deployments: list.map((d) => d.deploymentId as string) });
    cd.on(GetDeploymentCommand).callsFake((input: { deploymentId: string }) => ({
      deploymentInfo: list.find((d) => d.deploymentId === input.deploymentId),
    }));
    cd.on(StopDeploymentCommand).resolves({ status: 'Pending' });
  }

  it('finds the deployment carrying this run and attempt, stops it with rollback, and no other', async () => {
    answer([otherAttempt, ours, byHand]);
    const rt = fakeRuntime({ state, inputs: { 'aws-region': 'us-east-1' } });
    await runPost(rt);
    const list = cd.commandCalls(ListDeploymentsCommand)[0]?.args[0].input;
    expect(list).toMatchObject({
      applicationName: 'AppECS-prod-web',
      deploymentGroupName: 'DgpECS-prod-web',
      includeOnlyStatuses: ['Created', 'Queued', 'InProgress', 'Ready', 'Baking'],
    });
    expect(list?.createTimeRange?.start?.getTime()).toBeLessThan(START_MS);
    expect(cd.commandCalls(StopDeploymentCommand).map((c) => c.args[0].input)).toEqual([
      { deploymentId: 'd-OURS00001', autoRollbackEnabled: true },
    ]);
    expect(rt.logText('warning')).toMatch(
      /d-OURS00001 was InProgress after the main step was killed while CreateDeployment was in flight: stopped it with rollback \(rollback-on-cancel\)/,
    );
  });

  it("says so when no active deployment carries the mark, and never stops another run's", async () => {
    answer([otherAttempt, byHand]);
    const rt = fakeRuntime({ state, inputs: { 'aws-region': 'us-east-1' } });
    await runPost(rt);
    expect(cd.commandCalls(StopDeploymentCommand)).toHaveLength(0);
    expect(rt.logText()).toContain(
      `no active deployment in AppECS-prod-web/DgpECS-prod-web carries this run's mark ${MARK}`,
    );
  });

  it('without a mark (a local run) says it cannot find the deployment, and calls nothing', async () => {
    const rt = fakeRuntime({
      state: { ...state, [STATE_KEYS.runMarker]: '' },
      inputs: { 'aws-region': 'us-east-1' },
    });
    await runPost(rt);
    expect(cd.calls()).toHaveLength(0);
    expect(rt.logText('warning')).toContain('carries no mark of this run (GITHUB_RUN_ID is not set)');
  });

  it('rollback-on-cancel false: leaves it alone; phase failed: rollback-on-failure applies', async () => {
    answer([ours]);
    const off = fakeRuntime({
      state: { ...state, [STATE_KEYS.rollbackOnCancel]: 'false' },
      inputs: { 'aws-region': 'us-east-1' },
    });
    await runPost(off);
    expect(cd.calls()).toHaveLength(0);
    expect(off.logText()).toContain('rollback-on-cancel is false');
    const failed = fakeRuntime({
      state: { ...state, [STATE_KEYS.phase]: 'failed' },
      inputs: { 'aws-region': 'us-east-1' },
    });
    await runPost(failed);
    expect(failed.logText('warning')).toContain('stopped it with rollback (rollback-on-failure)');
  });
});
