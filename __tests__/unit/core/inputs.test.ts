import { describe, expect, it } from '@jest/globals';
import {
  MAX_DESCRIPTION_LENGTH,
  cutDescription,
  MAX_WAIT_FOR_MINUTES,
  deploymentDescription,
  getAwsInputs,
  getDeployInputs,
  getPromoteInputs,
  getRollbackInputs,
  codeDeployInputWarnings,
  ecsServiceInputWarnings,
  parseAutoRollbackEvents,
  parseBoolean,
  parseList,
  resolveServiceAndCluster,
} from '../../../src/action/inputs.js';
import { InputError } from '../../../src/action/errors.js';
import { catchInputError } from '../../helpers/input-error.js';

function reader(inputs: Record<string, string>) {
  return (name: string) => inputs[name] ?? '';
}

const base = { service: 'web', cluster: 'prod', 'task-definition': 'td.json', 'aws-region': 'us-east-1' };

function deployInputs(extra: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}) {
  return getDeployInputs(reader({ ...base, ...extra }), env);
}

describe('getDeployInputs', () => {
  it('applies the defaults: names derived from cluster and service, wait-until none, rollbacks on', () => {
    const inputs = deployInputs();
    expect(inputs).toMatchObject({
      service: 'web',
      cluster: 'prod',
      application: 'AppECS-prod-web',
      deploymentGroup: 'DgpECS-prod-web',
      waitUntil: 'none',
      waitForMinutes: 30,
      testTimeoutMinutes: 30,
      testCommandOidc: false,
      rollbackOnCancel: true,
      rollbackOnFailure: true,
      onActiveDeployment: 'fail',
      autoRollbackEvents: undefined,
    });
    expect(deployInputs({ cluster: '' }).application).toBe('AppECS-default-web');
    expect(deployInputs({ 'test-command-oidc': 'true' }).testCommandOidc).toBe(true);
  });

  it('maps wait-for-service-stability to wait-until succeeded unless wait-until is given', () => {
    expect(deployInputs({ 'wait-for-service-stability': 'true' }).waitUntil).toBe('succeeded');
    expect(deployInputs({ 'wait-for-service-stability': 'true', 'wait-until': 'Ready' }).waitUntil).toBe(
      'ready',
    );
  });

  it('requires the service (unless register-only is allowed) and exactly one of task-definition and task-definition-arn', () => {
    expect(() => deployInputs({ service: '' })).toThrow("input 'service': is required.");
    expect(() => deployInputs({ 'task-definition': '' })).toThrow("input 'task-definition': is required.");
    expect(() => deployInputs({ 'task-definition-arn': 'web:3' })).toThrow('are both set');
  });

  it('checks the ARN and refuses an image with it', () => {
    const arn = 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:42';
    expect(deployInputs({ 'task-definition': '', 'task-definition-arn': arn }).taskDefinitionArn).toBe(arn);
    expect(() => deployInputs({ 'task-definition': '', 'task-definition-arn': 'web' })).toThrow(
      'is not a task definition revision',
    );
    expect(() => deployInputs({ 'task-definition': '', 'task-definition-arn': arn, image: 'nginx' })).toThrow(
      "input 'image': cannot be combined",
    );
    expect(() => deployInputs({ image: 'nginx latest' })).toThrow('is not an image reference');
  });

  it('caps wait-for-minutes at 360 for any larger value and refuses negatives', () => {
    expect(deployInputs({ 'wait-for-minutes': '45' }).waitForMinutes).toBe(45);
    expect(deployInputs({ 'wait-for-minutes': '361' }).waitForMinutes).toBe(MAX_WAIT_FOR_MINUTES);
    expect(deployInputs({ 'wait-for-minutes': '100000' }).waitForMinutes).toBe(MAX_WAIT_FOR_MINUTES);
    expect(deployInputs({ 'wait-for-minutes': '100001' }).waitForMinutes).toBe(MAX_WAIT_FOR_MINUTES);
    expect(
      getPromoteInputs(
        reader({ 'deployment-id': 'd-ABCDEF123', 'aws-region': 'us-east-1', 'wait-for-minutes': '500000' }),
      ).waitForMinutes,
    ).toBe(MAX_WAIT_FOR_MINUTES);
    expect(() => deployInputs({ 'wait-for-minutes': '-1' })).toThrow(
      "input 'wait-for-minutes': -1 is out of range. Use 0 or more.",
    );
    expect(() => deployInputs({ 'wait-for-minutes': 'soon' })).toThrow("'soon' is not a number");
  });

  it('range-checks whole-number inputs', () => {
    expect(deployInputs({ 'container-port': '8080' }).containerPort).toBe(8080);
    expect(() => deployInputs({ 'container-port': '80.5' })).toThrow('is not a whole number');
    expect(() => deployInputs({ 'container-port': '70000' })).toThrow('Use 1 to 65535.');
  });

  it('rejects unknown choices, naming the allowed values', () => {
    expect(() => deployInputs({ 'wait-until': 'done' })).toThrow(
      "input 'wait-until': 'done' is not one of none, ready, traffic-shifted, succeeded.",
    );
    expect(deployInputs({ 'on-active-deployment': 'STOP' }).onActiveDeployment).toBe('stop');
  });
});

describe('small parsers', () => {
  it('parseBoolean takes the YAML spellings and rejects others', () => {
    expect(parseBoolean(reader({ x: 'True' }), 'x', false)).toBe(true);
    expect(parseBoolean(reader({ x: 'FALSE' }), 'x', true)).toBe(false);
    expect(parseBoolean(reader({}), 'x', true)).toBe(true);
    expect(() => parseBoolean(reader({ x: 'yes' }), 'x', true)).toThrow(InputError);
  });

  it('parseList splits on commas and newlines and drops blanks', () => {
    expect(parseList(' a, b\n\n c ,')).toEqual(['a', 'b', 'c']);
  });

  it('parseAutoRollbackEvents: none disables, names are case-insensitive and deduplicated', () => {
    expect(parseAutoRollbackEvents(reader({}))).toBeUndefined();
    expect(parseAutoRollbackEvents(reader({ 'auto-rollback-events': 'none' }))).toEqual([]);
    expect(
      parseAutoRollbackEvents(
        reader({ 'auto-rollback-events': 'deployment_failure, DEPLOYMENT_FAILURE,DEPLOYMENT_STOP_ON_ALARM' }),
      ),
    ).toEqual(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM']);
    expect(() => parseAutoRollbackEvents(reader({ 'auto-rollback-events': 'ON_FIRE' }))).toThrow(
      "'ON_FIRE' is not a CodeDeploy rollback event",
    );
  });

  it('deploymentDescription describes the run and cuts at the API limit', () => {
    expect(
      deploymentDescription('', {
        GITHUB_REPOSITORY: 'o/r',
        GITHUB_SHA: '0123456789abcdef',
        GITHUB_RUN_ID: '7',
      }),
    ).toBe('Deployed from GitHub Actions · o/r · commit 0123456789ab · run 7');
    const long = deploymentDescription('x'.repeat(600), {});
    expect(long).toHaveLength(MAX_DESCRIPTION_LENGTH);
    expect(long.endsWith('…')).toBe(true);
    expect(deploymentDescription('short', {})).toBe('short');
    // CodeDeploy's limit (User Guide, limits): 256 characters
    expect(MAX_DESCRIPTION_LENGTH).toBe(256);
    // a cut never leaves half of a surrogate pair
    const emoji = cutDescription(`${'a'.repeat(254)}😀😀`);
    expect(emoji).toBe(`${'a'.repeat(254)}…`);
    expect(cutDescription(`${'a'.repeat(253)}😀😀`)).toBe(`${'a'.repeat(253)}😀…`);
  });
});

describe('getAwsInputs', () => {
  it('takes the region from the input, then AWS_REGION, then AWS_DEFAULT_REGION', () => {
    expect(getAwsInputs(reader({}), { AWS_DEFAULT_REGION: 'eu-west-1' }).region).toBe('eu-west-1');
    expect(
      getAwsInputs(reader({}), { AWS_REGION: 'us-gov-west-1', AWS_DEFAULT_REGION: 'eu-west-1' }).region,
    ).toBe('us-gov-west-1');
    expect(() => getAwsInputs(reader({}), {})).toThrow('no AWS region is set');
    expect(() => getAwsInputs(reader({ 'aws-region': 'Virginia' }), {})).toThrow(
      "'Virginia' is not an AWS region name",
    );
  });

  it('checks the role ARN, the session name and the duration', () => {
    const role = 'arn:aws:iam::111122223333:role/github-deploy';
    expect(getAwsInputs(reader({ 'aws-region': 'us-east-1', 'role-to-assume': role }), {})).toEqual({
      region: 'us-east-1',
      roleToAssume: role,
      roleSessionName: 'GitHubActions',
      roleDurationSeconds: 3600,
      audience: 'sts.amazonaws.com',
    });
    expect(() =>
      getAwsInputs(reader({ 'aws-region': 'us-east-1', 'role-to-assume': 'github-deploy' }), {}),
    ).toThrow('is not an IAM role ARN');
    expect(() => getAwsInputs(reader({ 'aws-region': 'us-east-1', 'role-session-name': 'a b' }), {})).toThrow(
      'is not a valid session name',
    );
    expect(() =>
      getAwsInputs(reader({ 'aws-region': 'us-east-1', 'role-duration-seconds': '60' }), {}),
    ).toThrow('Use 900 to 43200.');
  });
});

describe('promote and rollback inputs', () => {
  it('promote requires a well-formed deployment id', () => {
    expect(() => getPromoteInputs(reader({ 'aws-region': 'us-east-1' }), {})).toThrow(
      "input 'deployment-id': is required.",
    );
    expect(() => getPromoteInputs(reader({ 'aws-region': 'us-east-1', 'deployment-id': 'abc' }), {})).toThrow(
      'is not a CodeDeploy deployment id',
    );
    expect(
      getPromoteInputs(reader({ 'aws-region': 'us-east-1', 'deployment-id': 'd-ABCDEF123' }), {}).waitUntil,
    ).toBe('traffic-shifted');
  });

  it('rollback needs a deployment id or a service, and derives the group names from the service', () => {
    expect(() => getRollbackInputs(reader({ 'aws-region': 'us-east-1' }), {})).toThrow('are both empty');
    expect(
      getRollbackInputs(reader({ 'aws-region': 'us-east-1', service: 'web', cluster: 'prod' }), {}),
    ).toMatchObject({
      application: 'AppECS-prod-web',
      deploymentGroup: 'DgpECS-prod-web',
      deregisterRolledBackRevision: false,
    });
    expect(
      getRollbackInputs(reader({ 'aws-region': 'us-east-1', 'deployment-id': 'd-ABCDEF123' }), {})
        .application,
    ).toBeUndefined();
  });
});

describe('without a service (register only, as the official action)', () => {
  const registerOnly = (extra: Record<string, string> = {}) =>
    getDeployInputs(reader({ ...base, service: '', ...extra }), {}, 'allowed');

  it('gives the register-only inputs: the task definition, cluster, run-task and the wait for it', () => {
    const inputs = registerOnly({
      'run-task': 'true',
      'wait-for-task-stopped': 'true',
      'wait-for-minutes': '12',
    });
    expect(inputs.service).toBeUndefined();
    expect(inputs).toMatchObject({ taskDefinitionFile: 'td.json', cluster: 'prod', waitForMinutes: 12 });
    expect(inputs.runTask?.waitForStop).toBe(true);
    expect('application' in inputs).toBe(false);
    expect(registerOnly().runTask).toBeUndefined();
  });

  it.each(['wait-until', 'test-command', 'auto-rollback-events', 'container-port'])(
    "refuses this action's own deployment input %s, naming it",
    (name) => {
      const error = catchInputError(() => registerOnly({ [name]: 'x' }));
      expect(error.where).toBe(`input '${name}'`);
      expect(error.message).toMatch(/without a service: .*only registers the task definition/);
    },
  );

  it("warns about the official action's service inputs, which it ignores without a service too", () => {
    const inputs = registerOnly({
      'desired-count': '3',
      'codedeploy-application': 'App',
      'enable-ecs-managed-tags': 'true',
    });
    expect(inputs.warnings).toEqual([
      expect.stringMatching(/^Input 'desired-count' is ignored without a service: no service is given/),
      expect.stringMatching(/^Input 'codedeploy-application' is ignored without a service/),
    ]);
  });
});

describe('inputs of the official action, by where they apply', () => {
  it('warns about the ones ignored on a CODE_DEPLOY service, and about nothing by default', () => {
    expect(codeDeployInputWarnings(reader({}))).toEqual([]);
    const warnings = codeDeployInputWarnings(
      reader({ 'desired-count': '3', 'propagate-tags': 'SERVICE', 'keep-null-value-keys': 'command' }),
    );
    // desired-count and propagate-tags are applied there (UpdateService before CreateDeployment)
    expect(warnings).toEqual([
      expect.stringMatching(
        /^Input 'keep-null-value-keys' is ignored on a CODE_DEPLOY service: .*kept anyway/,
      ),
    ]);
  });

  it('is silent about the values that mean "off" (the official defaults action.yml declares)', () => {
    const off = {
      'force-new-deployment': 'false',
      'run-task': 'FALSE',
      'wait-for-task-stopped': 'false',
      'max-retries': '3',
      cluster: 'default',
      'wait-for-minutes': '30',
      'run-task-launch-type': 'FARGATE',
    };
    expect(codeDeployInputWarnings(reader(off))).toEqual([]);
    expect(ecsServiceInputWarnings(reader(off))).toEqual([]);
    expect(codeDeployInputWarnings(reader({ 'max-retries': '5' }))).toEqual([
      expect.stringMatching(
        /^Input 'max-retries' is ignored on a CODE_DEPLOY service: retries .* are built in/,
      ),
    ]);
  });

  it('warns about wait-max-delay-seconds on both engines', () => {
    expect(codeDeployInputWarnings(reader({ 'wait-max-delay-seconds': '30' }))).toEqual([
      expect.stringMatching(/^Input 'wait-max-delay-seconds' is ignored on a CODE_DEPLOY service: .*polling/),
    ]);
    expect(ecsServiceInputWarnings(reader({ 'wait-max-delay-seconds': '30' }))).toEqual([
      expect.stringMatching(
        /^Input 'wait-max-delay-seconds' is ignored on a service with the ECS deployment controller/,
      ),
    ]);
  });

  it('refuses the managed EBS volume on a CODE_DEPLOY service, before any change, and takes it on ECS', () => {
    const volume = {
      'service-managed-ebs-volume-name': 'data',
      'service-managed-ebs-volume': '{"roleArn":"r"}',
    };
    const error = catchInputError(() => codeDeployInputWarnings(reader(volume)));
    expect(error.where).toBe("input 'service-managed-ebs-volume-name'");
    expect(error.message).toMatch(/CODE_DEPLOY service: UpdateService takes no volume configuration/);
    expect(error.fix).toMatch(/ECS deployment controller/);
    expect(ecsServiceInputWarnings(reader(volume))).toEqual([]);
  });

  it('warns about the CodeDeploy inputs on an ECS-controller service', () => {
    expect(
      ecsServiceInputWarnings(reader({ 'codedeploy-application': 'App', 'auto-rollback-events': 'none' })),
    ).toEqual([
      expect.stringMatching(
        /^Input 'auto-rollback-events' is ignored: the service uses the ECS deployment controller/,
      ),
      expect.stringMatching(
        /^Input 'codedeploy-application' is ignored on a service with the ECS deployment controller/,
      ),
    ]);
  });
});

describe('booleans, read as the official action reads them', () => {
  it.each(['true', 'TRUE', 'True', 'tRUE'])('%s is true', (raw) => {
    expect(deployInputs({ 'wait-for-service-stability': raw }).waitUntil).toBe('succeeded');
  });
  it.each(['false', 'FALSE', 'fAlse', ''])('%j is false', (raw) => {
    expect(deployInputs({ 'wait-for-service-stability': raw }).waitUntil).toBe('none');
  });
});

describe('service and cluster as ARNs', () => {
  it('takes the names from ARNs, so the CodeDeploy defaults are right', () => {
    expect(
      resolveServiceAndCluster('arn:aws:ecs:us-east-1:111122223333:service/prod/web', undefined),
    ).toEqual({ service: 'web', cluster: 'prod' });
    expect(resolveServiceAndCluster('web', 'arn:aws:ecs:us-east-1:111122223333:cluster/prod')).toEqual({
      service: 'web',
      cluster: 'prod',
    });
    // the old ARN format names no cluster
    expect(resolveServiceAndCluster('arn:aws:ecs:us-east-1:111122223333:service/web', '')).toEqual({
      service: 'web',
      cluster: 'default',
    });
    const inputs = getDeployInputs(
      (n) =>
        ({
          service: 'arn:aws:ecs:us-east-1:111122223333:service/prod/web',
          'task-definition': 'td.json',
          'aws-region': 'us-east-1',
        })[n] ?? '',
      {},
    );
    expect(inputs.application).toBe('AppECS-prod-web');
    expect(inputs.deploymentGroup).toBe('DgpECS-prod-web');
  });

  it('a service ARN in another cluster than the cluster input is an input error', () => {
    expect(() =>
      resolveServiceAndCluster('arn:aws:ecs:us-east-1:111122223333:service/prod/web', 'staging'),
    ).toThrow("inputs 'service' and 'cluster': disagree: the service ARN is in cluster 'prod'");
  });
});
