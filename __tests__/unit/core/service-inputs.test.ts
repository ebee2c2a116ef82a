/**
 * The official action's service inputs and run-task inputs: read as its index.js reads them (defaults,
 * what is sent), and refused before any change where it would let AWS refuse them after registering.
 */
import { describe, expect, it } from '@jest/globals';
import { getDeployInputs } from '../../../src/action/inputs.js';
import { changesService, parseRunTask, parseServiceSettings } from '../../../src/action/service-inputs.js';
import { catchInputError } from '../../helpers/input-error.js';

function reader(inputs: Record<string, string>) {
  return (name: string) => inputs[name] ?? '';
}

const base = { service: 'web', cluster: 'prod', 'task-definition': 'td.json', 'aws-region': 'us-east-1' };

describe('service settings', () => {
  it('sends nothing but the task definition by default', () => {
    const settings = getDeployInputs(reader(base), {}).serviceSettings;
    expect(settings).toEqual({
      forceNewDeployment: false,
      desiredCount: undefined,
      enableECSManagedTags: undefined,
      propagateTags: undefined,
      volumeConfigurations: undefined,
    });
    expect(changesService(settings)).toBe(false);
  });

  it('reads force-new-deployment, desired-count, enable-ecs-managed-tags and propagate-tags in any casing', () => {
    const warnings: string[] = [];
    const settings = parseServiceSettings(
      reader({
        'force-new-deployment': 'TRUE',
        'desired-count': '0',
        'enable-ecs-managed-tags': 'False',
        'propagate-tags': 'service',
      }),
      warnings,
    );
    expect(settings).toMatchObject({
      forceNewDeployment: true,
      desiredCount: 0,
      enableECSManagedTags: false,
      propagateTags: 'SERVICE',
    });
    expect(changesService(settings)).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('refuses a desired count that is not a whole number of at least 0, and an unknown propagate-tags', () => {
    expect(catchInputError(() => parseServiceSettings(reader({ 'desired-count': '2.5' }), [])).where).toBe(
      "input 'desired-count'",
    );
    expect(
      catchInputError(() => parseServiceSettings(reader({ 'desired-count': '-1' }), [])).message,
    ).toMatch(/out of range/);
    expect(
      catchInputError(() => parseServiceSettings(reader({ 'propagate-tags': 'TASK' }), [])).message,
    ).toMatch(/'TASK' is not one of TASK_DEFINITION, SERVICE, NONE/);
  });

  it('builds the managed EBS volume as the official action: roleArn required, known keys, throughput only with gp3', () => {
    const warnings: string[] = [];
    const settings = parseServiceSettings(
      reader({
        'service-managed-ebs-volume-name': 'data',
        'service-managed-ebs-volume': JSON.stringify({
          roleArn: 'arn:aws:iam::111122223333:role/ecsInfra',
          sizeInGiB: 20,
          volumeType: 'gp2',
          throughput: 125,
          encrypted: true,
          volumeInitializationRate: 100,
        }),
      }),
      warnings,
    );
    expect(settings.volumeConfigurations).toEqual([
      {
        name: 'data',
        managedEBSVolume: {
          roleArn: 'arn:aws:iam::111122223333:role/ecsInfra',
          sizeInGiB: 20,
          volumeType: 'gp2',
          encrypted: true,
        },
      },
    ]);
    expect(warnings).toEqual([
      expect.stringMatching(/volumeInitializationRate is not sent/),
      expect.stringMatching(/throughput is sent only with volumeType gp3/),
    ]);
    const noRole = catchInputError(() =>
      parseServiceSettings(
        reader({
          'service-managed-ebs-volume-name': 'data',
          'service-managed-ebs-volume': '{"sizeInGiB": 1}',
        }),
        [],
      ),
    );
    expect(noRole.where).toBe("input 'service-managed-ebs-volume'");
    expect(noRole.message).toMatch(/has no roleArn/);
    expect(
      catchInputError(() =>
        parseServiceSettings(
          reader({ 'service-managed-ebs-volume-name': 'data', 'service-managed-ebs-volume': '{' }),
          [],
        ),
      ).message,
    ).toMatch(/is not valid JSON/);
  });

  it('warns and sends no volume for a name without a volume, as the official action', () => {
    const warnings: string[] = [];
    expect(
      parseServiceSettings(reader({ 'service-managed-ebs-volume-name': 'data' }), warnings)
        .volumeConfigurations,
    ).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/given without service-managed-ebs-volume: no volume/)]);
  });
});

describe('run-task', () => {
  it('is off unless run-task is true', () => {
    expect(parseRunTask(reader({ 'run-task-subnets': 'subnet-1' }), [])).toBeUndefined();
    expect(parseRunTask(reader({ 'run-task': 'false' }), [])).toBeUndefined();
  });

  it("takes the official action's defaults: startedBy GitHub-Actions, FARGATE, no network, no overrides, no wait", () => {
    expect(parseRunTask(reader({ 'run-task': 'true' }), [])).toEqual({
      request: {
        startedBy: 'GitHub-Actions',
        launchType: 'FARGATE',
        overrides: { containerOverrides: [] },
        tags: [],
      },
      waitForStop: false,
    });
  });

  it('sends subnets, security groups and assignPublicIp (DISABLED by default) as awsvpcConfiguration', () => {
    const run = parseRunTask(
      reader({
        'run-task': 'true',
        'run-task-subnets': 'subnet-1, subnet-2',
        'run-task-security-groups': 'sg-1',
        'run-task-assign-public-IP': 'enabled',
        'run-task-container-overrides': '[{"name":"web","command":["npm","run","migrate"]}]',
        'run-task-tags': '[{"key":"purpose","value":"migration"}]',
        'run-task-started-by': 'deploy/42',
        'enable-ecs-managed-tags': 'true',
        'wait-for-task-stopped': 'true',
      }),
      [],
    );
    expect(run).toEqual({
      request: {
        startedBy: 'deploy/42',
        launchType: 'FARGATE',
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: ['subnet-1', 'subnet-2'],
            securityGroups: ['sg-1'],
            assignPublicIp: 'ENABLED',
          },
        },
        overrides: { containerOverrides: [{ name: 'web', command: ['npm', 'run', 'migrate'] }] },
        enableECSManagedTags: true,
        tags: [{ key: 'purpose', value: 'migration' }],
      },
      waitForStop: true,
    });
    const plain = parseRunTask(reader({ 'run-task': 'true', 'run-task-subnets': 'subnet-1' }), []);
    expect(plain?.request.networkConfiguration?.awsvpcConfiguration?.assignPublicIp).toBe('DISABLED');
  });

  it('sends the capacity provider strategy instead of the launch type', () => {
    const warnings: string[] = [];
    const run = parseRunTask(
      reader({
        'run-task': 'true',
        'run-task-capacity-provider-strategy': '[{"capacityProvider":"FARGATE_SPOT","weight":1}]',
        'run-task-launch-type': 'EC2',
      }),
      warnings,
    );
    expect(run?.request.capacityProviderStrategy).toEqual([{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]);
    expect(run?.request.launchType).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/run-task-launch-type' is not sent/)]);
  });

  it.each([
    ['run-task-container-overrides', '{"name":"web"}', /is not a JSON array of objects/],
    ['run-task-container-overrides', '[{"command":["x"]}]', /override without a container name/],
    ['run-task-tags', '[{"key":"a","value":1}]', /not \{"key"/],
    ['run-task-tags', 'purpose=migration', /is not valid JSON/],
    ['run-task-capacity-provider-strategy', '[{"weight":1}]', /without capacityProvider/],
    ['run-task-launch-type', 'LAMBDA', /'LAMBDA' is not one of FARGATE, EC2/],
    ['run-task-assign-public-IP', 'yes', /'yes' is not one of ENABLED, DISABLED/],
    ['run-task-started-by', 'deploy by me', /is not a RunTask startedBy/],
    ['wait-for-task-stopped', 'yes', /is not a boolean/],
  ])('refuses %s %j before any change', (name, value, message) => {
    const error = catchInputError(() => parseRunTask(reader({ 'run-task': 'true', [name]: value }), []));
    expect(error.where).toBe(`input '${name}'`);
    expect(error.message).toMatch(message);
  });

  it('refuses security groups without subnets (RunTask needs the subnets)', () => {
    const error = catchInputError(() =>
      parseRunTask(reader({ 'run-task': 'true', 'run-task-security-groups': 'sg-1' }), []),
    );
    expect(error.where).toBe("input 'run-task-security-groups'");
    expect(error.fix).toBe('Give run-task-subnets too.');
  });

  it('sends the run-task managed EBS volume as a task volume configuration', () => {
    const run = parseRunTask(
      reader({
        'run-task': 'true',
        'run-task-managed-ebs-volume-name': 'scratch',
        'run-task-managed-ebs-volume': '{"roleArn":"arn:aws:iam::111122223333:role/ecsInfra","sizeInGiB":5}',
      }),
      [],
    );
    expect(run?.request.volumeConfigurations).toEqual([
      {
        name: 'scratch',
        managedEBSVolume: { roleArn: 'arn:aws:iam::111122223333:role/ecsInfra', sizeInGiB: 5 },
      },
    ]);
  });
});
