import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Service, TaskDefinition } from '@aws-sdk/client-ecs';
import {
  appSpecTarget,
  generateAppSpec,
  parseAppSpec,
  serializeAppSpec,
  validateAppSpecAgainstTaskDefinition,
  withTaskDefinitionArn,
} from '../../../src/engines/codedeploy/appspec.js';
import { catchInputError } from '../../helpers/input-error.js';

const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');

const ARN = 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:43';
const PROPS = 'appspec.yaml: Resources[0].TargetService.Properties';

/** A minimal valid AppSpec as YAML, with extra lines under Properties and at the top level. */
function yaml(options: { props?: string; top?: string; port?: string; name?: string } = {}): string {
  return [
    'version: 0.0',
    'Resources:',
    '  - TargetService:',
    '      Type: AWS::ECS::Service',
    '      Properties:',
    '        TaskDefinition: x',
    '        LoadBalancerInfo:',
    `          ContainerName: ${options.name ?? 'web'}`,
    `          ContainerPort: ${options.port ?? '8080'}`,
    ...(options.props ? [options.props] : []),
    ...(options.top ? [options.top] : []),
  ].join('\n');
}

describe('parseAppSpec', () => {
  it('parses the reference AppSpec', () => {
    const doc = parseAppSpec(fixture('appspec.yaml'), 'appspec.yaml');
    expect(appSpecTarget(doc)).toEqual({
      taskDefinition: '<TASK_DEFINITION>',
      containerName: 'web',
      containerPort: 8080,
      platformVersion: 'LATEST',
      hooks: [
        { event: 'BeforeInstall', functionName: 'LambdaBeforeInstall' },
        {
          event: 'AfterAllowTestTraffic',
          functionName: 'arn:aws:lambda:us-east-1:111122223333:function:smoke',
        },
      ],
    });
  });

  it('reads keys case-insensitively and keeps the user casing', () => {
    const doc = parseAppSpec(fixture('appspec-lowercase.json'), 'appspec.json');
    expect(Object.keys(doc)).toEqual(['version', 'resources', 'hooks']);
    const target = appSpecTarget(doc);
    expect(target.containerName).toBe('web');
    expect(target.taskDefinition).toBe('placeholder');
    expect(target.hooks).toEqual([{ event: 'BeforeAllowTraffic', functionName: 'check' }]);
  });

  it('turns a numeric-string ContainerPort into a number', () => {
    const doc = parseAppSpec(fixture('appspec-lowercase.json'), 'appspec.json');
    expect(appSpecTarget(doc).containerPort).toBe(8080);
    expect(serializeAppSpec(doc).content).toContain('"containerPort":8080');
  });

  it('accepts version as the string "0.0" and no version at all', () => {
    expect(() =>
      parseAppSpec(yaml().replace('version: 0.0', 'version: "0.0"'), 'appspec.yaml'),
    ).not.toThrow();
    expect(() => parseAppSpec(yaml().replace('version: 0.0\n', ''), 'appspec.yaml')).not.toThrow();
  });

  it('names the line of a YAML error', () => {
    const error = catchInputError(() => parseAppSpec(fixture('broken/duplicate-key.yaml'), 'appspec.yaml'));
    expect(error.where).toBe('appspec.yaml:9:11');
  });

  it.each([
    [
      'version 1.0',
      yaml().replace('version: 0.0', 'version: 1.0'),
      'appspec.yaml: version',
      /only AppSpec version is 0.0/,
      /version: 0.0/,
    ],
    [
      'missing Resources',
      'version: 0.0\nHooks: []',
      'appspec.yaml: Resources',
      /is missing/,
      /Resources as a list/,
    ],
    [
      'Resources as a mapping',
      'Resources:\n  TargetService: {}',
      'appspec.yaml: Resources',
      /must be a list/,
      /Resources as a list/,
    ],
    [
      'two resources',
      'Resources:\n  - A: {}\n  - B: {}',
      'appspec.yaml: Resources',
      /has 2 items/,
      /single entry/,
    ],
    [
      'a resource item with two keys',
      'Resources:\n  - A: {}\n    B: {}',
      'appspec.yaml: Resources[0]',
      /exactly one key/,
      /TargetService/,
    ],
    [
      'a resource that is not a mapping',
      'Resources:\n  - TargetService: x',
      'appspec.yaml: Resources[0].TargetService',
      /Type and Properties/,
      /Indent/,
    ],
    [
      'a wrong Type',
      yaml().replace('AWS::ECS::Service', 'AWS::Lambda::Function'),
      'appspec.yaml: Resources[0].TargetService.Type',
      /"AWS::Lambda::Function"/,
      /AWS::ECS::Service/,
    ],
    [
      'missing Properties',
      'Resources:\n  - TargetService:\n      Type: AWS::ECS::Service',
      `${PROPS}`,
      /is missing/,
      /TaskDefinition and LoadBalancerInfo/,
    ],
    [
      'missing TaskDefinition',
      yaml().replace('        TaskDefinition: x\n', ''),
      `${PROPS}.TaskDefinition`,
      /is missing/,
      /replaces it/,
    ],
    [
      'a non-string TaskDefinition',
      yaml().replace('TaskDefinition: x', 'TaskDefinition: [x]'),
      `${PROPS}.TaskDefinition`,
      /must be a string/,
      /replaces it/,
    ],
    [
      'missing ContainerName',
      yaml().replace('          ContainerName: web\n', ''),
      `${PROPS}.LoadBalancerInfo.ContainerName`,
      /is missing/,
      /receives load balancer traffic/,
    ],
    [
      'missing ContainerPort',
      yaml().replace(/\n {10}ContainerPort: 8080/, ''),
      `${PROPS}.LoadBalancerInfo.ContainerPort`,
      /is missing/,
      /e\.g\. 8080/,
    ],
    [
      'port 0',
      yaml({ port: '0' }),
      `${PROPS}.LoadBalancerInfo.ContainerPort`,
      /is 0, but it must be an integer from 1 to 65535/,
      /8080/,
    ],
    ['port 70000', yaml({ port: '70000' }), `${PROPS}.LoadBalancerInfo.ContainerPort`, /is 70000/, /8080/],
    [
      'a non-numeric port',
      yaml({ port: 'http' }),
      `${PROPS}.LoadBalancerInfo.ContainerPort`,
      /is "http"/,
      /8080/,
    ],
    [
      'a fractional port',
      yaml({ port: '80.5' }),
      `${PROPS}.LoadBalancerInfo.ContainerPort`,
      /is 80.5/,
      /8080/,
    ],
    [
      'a non-string PlatformVersion',
      yaml({ props: '        PlatformVersion: 1.4' }),
      `${PROPS}.PlatformVersion`,
      /must be a string/,
      /Quote/,
    ],
    [
      'NetworkConfiguration without subnets',
      yaml({
        props: '        NetworkConfiguration:\n          AwsvpcConfiguration: {SecurityGroups: [sg-1]}',
      }),
      `${PROPS}.NetworkConfiguration`,
      /AwsvpcConfiguration/,
      /subnet IDs/,
    ],
    [
      'a bad AssignPublicIp',
      yaml({
        props:
          '        NetworkConfiguration:\n          AwsvpcConfiguration: {Subnets: [s-1], AssignPublicIp: yes}',
      }),
      `${PROPS}.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp`,
      /is "yes"/,
      /ENABLED or DISABLED/,
    ],
    [
      'a bad CapacityProviderStrategy',
      yaml({ props: '        CapacityProviderStrategy: FARGATE' }),
      `${PROPS}.CapacityProviderStrategy`,
      /list of/,
      /CapacityProvider: FARGATE/,
    ],
    [
      'Hooks as a mapping',
      yaml({ top: 'Hooks:\n  BeforeInstall: f' }),
      'appspec.yaml: Hooks',
      /list of one-key mappings/,
      /BeforeAllowTraffic/,
    ],
    [
      'a hook with two keys',
      yaml({ top: 'Hooks:\n  - BeforeInstall: f\n    AfterInstall: g' }),
      'appspec.yaml: Hooks[0]',
      /exactly one key/,
      /AfterAllowTraffic/,
    ],
    [
      'an unknown hook event',
      yaml({ top: 'Hooks:\n  - BeforeInstall: f\n  - AfterAllowTestTrafic: g' }),
      'appspec.yaml: Hooks[1].AfterAllowTestTrafic',
      /did you mean 'AfterAllowTestTraffic'\?/,
      /BeforeInstall, AfterInstall, AfterAllowTestTraffic, BeforeAllowTraffic, AfterAllowTraffic/,
    ],
    [
      'a hook without a function',
      yaml({ top: 'Hooks:\n  - BeforeInstall: ""' }),
      'appspec.yaml: Hooks[0].BeforeInstall',
      /name or ARN of a Lambda function/,
      /Lambda function/,
    ],
  ])('rejects %s', (_label, text, where, problem, fix) => {
    const error = catchInputError(() => parseAppSpec(text, 'appspec.yaml'));
    expect(error.where).toBe(where);
    expect(error.message).toMatch(problem);
    expect(error.fix).toMatch(fix);
  });

  it('names paths in the user key casing', () => {
    const text = fixture('appspec-lowercase.json').replace('"containerPort": "8080"', '"containerPort": "x"');
    const error = catchInputError(() => parseAppSpec(text, 'appspec.json'));
    expect(error.where).toBe(
      'appspec.json: resources[0].myService.properties.loadBalancerInfo.containerPort',
    );
  });
});

describe('parseAppSpec, as the official action reads AppSpecs', () => {
  // The AppSpec of the official action's own CodeDeploy tests: no version, PascalCase keys.
  const OFFICIAL = `
                Resources:
                - TargetService:
                    Type: AWS::ECS::Service
                    Properties:
                      TaskDefinition: helloworld
                      LoadBalancerInfo:
                        ContainerName: web
                        ContainerPort: 80`;

  it('adds version 0.0 when the AppSpec has none (CodeDeploy requires it), first', () => {
    const doc = parseAppSpec(OFFICIAL, 'appspec.yaml');
    expect(Object.keys(doc)).toEqual(['version', 'Resources']);
    expect(doc.version).toBe('0.0');
    const content = JSON.parse(serializeAppSpec(withTaskDefinitionArn(doc, ARN)).content) as Record<
      string,
      unknown
    >;
    expect(content).toEqual({
      version: '0.0',
      Resources: [
        {
          TargetService: {
            Type: 'AWS::ECS::Service',
            Properties: {
              TaskDefinition: ARN,
              LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 80 },
            },
          },
        },
      ],
    });
  });

  it('keeps a version the user wrote, in the user casing, without adding another', () => {
    const doc = parseAppSpec(`VERSION: 0.0\n${OFFICIAL.replace(/^ {16}/gm, '')}`, 'appspec.yaml');
    expect(doc).not.toHaveProperty('version');
    expect(doc.VERSION).toBe(0);
  });

  it('reads the JSON AppSpec of the official tests', () => {
    const json = JSON.stringify({
      Resources: [
        {
          TargetService: {
            Type: 'AWS::ECS::Service',
            Properties: {
              TaskDefinition: 'helloworld',
              LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 80 },
            },
          },
        },
      ],
    });
    expect(appSpecTarget(parseAppSpec(json, '/hello/appspec.json'))).toMatchObject({
      taskDefinition: 'helloworld',
      containerName: 'web',
      containerPort: 80,
    });
  });

  it('keeps an unknown section and reports it, with a suggestion', () => {
    const warnings: string[] = [];
    const doc = parseAppSpec(yaml({ top: 'Hook:\n  - BeforeInstall: f' }), 'appspec.yaml', warnings);
    expect(doc.Hook).toEqual([{ BeforeInstall: 'f' }]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^appspec\.yaml: Hook is not an AppSpec section \(did you mean 'Hooks'\?\)/);
  });

  it('keeps an unknown property and reports it, with a suggestion', () => {
    const warnings: string[] = [];
    const doc = parseAppSpec(yaml({ props: '        PlatformVersoin: LATEST' }), 'appspec.yaml', warnings);
    const props = (doc.Resources as { TargetService: { Properties: Record<string, unknown> } }[])[0]
      ?.TargetService.Properties;
    expect(props?.PlatformVersoin).toBe('LATEST');
    expect(warnings).toEqual([
      expect.stringContaining(
        `${PROPS}.PlatformVersoin is not an ECS AppSpec property (did you mean 'PlatformVersion'?)`,
      ),
    ]);
  });

  it('reports nothing for a well-formed AppSpec', () => {
    const warnings: string[] = [];
    parseAppSpec(fixture('appspec.yaml'), 'appspec.yaml', warnings);
    parseAppSpec(fixture('appspec-lowercase.json'), 'appspec.json', warnings);
    expect(warnings).toEqual([]);
  });
});

describe('withTaskDefinitionArn', () => {
  it('replaces TaskDefinition in the user casing without modifying the input', () => {
    const doc = parseAppSpec(fixture('appspec-lowercase.json'), 'appspec.json');
    const before = structuredClone(doc);
    const out = withTaskDefinitionArn(doc, ARN);
    expect(doc).toEqual(before);
    const props = ((out.resources as Record<string, unknown>[])[0]?.myService as Record<string, unknown>)
      .properties as Record<string, unknown>;
    expect(props.taskDefinition).toBe(ARN);
    expect(props).not.toHaveProperty('TaskDefinition');
    expect(appSpecTarget(out).taskDefinition).toBe(ARN);
  });
});

describe('serializeAppSpec', () => {
  it('returns JSON and the sha256 of exactly that text', () => {
    const doc = withTaskDefinitionArn(parseAppSpec(fixture('appspec.yaml'), 'appspec.yaml'), ARN);
    const { content, sha256 } = serializeAppSpec(doc);
    expect(JSON.parse(content)).toEqual(doc);
    expect(sha256).toBe(createHash('sha256').update(content).digest('hex'));
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

const service = (overrides: Partial<Service> = {}): Service => ({
  serviceName: 'web',
  loadBalancers: [{ targetGroupArn: 'tg', containerName: 'web', containerPort: 8080 }],
  platformVersion: '1.3.0',
  networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-old'], securityGroups: ['sg-old'] } },
  taskSets: [
    {
      status: 'ACTIVE',
      platformVersion: '1.2.0',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-active'] } },
    },
    {
      status: 'PRIMARY',
      platformVersion: '1.4.0',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ['subnet-a', 'subnet-b'],
          securityGroups: ['sg-1'],
          assignPublicIp: 'DISABLED',
        },
      },
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', base: 1, weight: 2 }],
    },
  ],
  ...overrides,
});

describe('generateAppSpec', () => {
  it('builds the AppSpec from the load balancer and the PRIMARY task set', () => {
    const doc = generateAppSpec({
      taskDefinitionArn: ARN,
      service: service(),
      hooks: [{ event: 'BeforeAllowTraffic', functionName: 'check' }],
    });
    expect(doc).toEqual({
      version: '0.0',
      Resources: [
        {
          TargetService: {
            Type: 'AWS::ECS::Service',
            Properties: {
              TaskDefinition: ARN,
              LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 8080 },
              PlatformVersion: '1.4.0',
              NetworkConfiguration: {
                AwsvpcConfiguration: {
                  Subnets: ['subnet-a', 'subnet-b'],
                  SecurityGroups: ['sg-1'],
                  AssignPublicIp: 'DISABLED',
                },
              },
              CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Base: 1, Weight: 2 }],
            },
          },
        },
      ],
      Hooks: [{ BeforeAllowTraffic: 'check' }],
    });
  });

  it('round-trips through parseAppSpec', () => {
    const doc = generateAppSpec({
      taskDefinitionArn: ARN,
      service: service(),
      hooks: [{ event: 'AfterAllowTestTraffic', functionName: 'smoke' }],
    });
    const parsed = parseAppSpec(serializeAppSpec(doc).content, 'generated.json');
    expect(parsed).toEqual(doc);
    expect(appSpecTarget(parsed)).toEqual({
      taskDefinition: ARN,
      containerName: 'web',
      containerPort: 8080,
      platformVersion: '1.4.0',
      hooks: [{ event: 'AfterAllowTestTraffic', functionName: 'smoke' }],
    });
  });

  it('falls back to the service settings without a PRIMARY task set', () => {
    const doc = generateAppSpec({ taskDefinitionArn: ARN, service: service({ taskSets: [] }) });
    const target = appSpecTarget(doc);
    expect(target.platformVersion).toBe('1.3.0');
    const props = serializeAppSpec(doc).content;
    expect(props).toContain('"Subnets":["subnet-old"]');
    expect(props).not.toContain('AssignPublicIp');
    expect(props).not.toContain('CapacityProviderStrategy');
    expect(doc).not.toHaveProperty('Hooks');
    expect(() => parseAppSpec(props, 'generated.json')).not.toThrow();
  });

  it('omits network settings and platform version the service does not have', () => {
    const doc = generateAppSpec({
      taskDefinitionArn: ARN,
      service: { serviceName: 'ec2', loadBalancers: [{ containerName: 'app', containerPort: 80 }] },
    });
    const props = (doc.Resources as { TargetService: { Properties: Record<string, unknown> } }[])[0]
      ?.TargetService.Properties;
    expect(Object.keys(props ?? {})).toEqual(['TaskDefinition', 'LoadBalancerInfo']);
  });

  it('uses the given container, and that container’s load balancer port', () => {
    const svc = service({
      loadBalancers: [
        { containerName: 'web', containerPort: 8080 },
        { containerName: 'admin', containerPort: 9090 },
      ],
    });
    expect(
      appSpecTarget(generateAppSpec({ taskDefinitionArn: ARN, service: svc, containerName: 'admin' })),
    ).toMatchObject({
      containerName: 'admin',
      containerPort: 9090,
    });
    expect(
      appSpecTarget(
        generateAppSpec({
          taskDefinitionArn: ARN,
          service: svc,
          containerName: 'admin',
          containerPort: 9443,
        }),
      ),
    ).toMatchObject({ containerName: 'admin', containerPort: 9443 });
  });

  it('names the service when it has no load balancer', () => {
    const error = catchInputError(() =>
      generateAppSpec({ taskDefinitionArn: ARN, service: service({ loadBalancers: [] }) }),
    );
    expect(error.where).toBe("service 'web'");
    expect(error.message).toContain('no load balancer container and port');
    expect(error.fix).toMatch(/container-name.*container-port/);
  });

  it('rejects an unknown hook event', () => {
    const error = catchInputError(() =>
      generateAppSpec({
        taskDefinitionArn: ARN,
        service: service(),
        hooks: [{ event: 'AfterTraffic', functionName: 'f' }],
      }),
    );
    expect(error.where).toBe("hook 'AfterTraffic'");
    expect(error.fix).toContain('AfterAllowTraffic');
  });
});

describe('validateAppSpecAgainstTaskDefinition', () => {
  const td: TaskDefinition = {
    family: 'web',
    containerDefinitions: [
      { name: 'web', image: 'x', portMappings: [{ containerPort: 8080 }, { containerPort: 8443 }] },
      { name: 'sidecar', image: 'y' },
    ],
  };

  it('accepts a container and port the task definition maps', () => {
    expect(() =>
      validateAppSpecAgainstTaskDefinition(parseAppSpec(yaml(), 'appspec.yaml'), td, 'appspec.yaml'),
    ).not.toThrow();
  });

  it('names the ContainerName field and lists the containers', () => {
    const doc = parseAppSpec(yaml({ name: 'api' }), 'appspec.yaml');
    const error = catchInputError(() => validateAppSpecAgainstTaskDefinition(doc, td, 'appspec.yaml'));
    expect(error.where).toBe(`${PROPS}.LoadBalancerInfo.ContainerName`);
    expect(error.message).toContain(
      "is 'api', which is not a container of task definition 'web' (its containers: web, sidecar)",
    );
    expect(error.fix).toMatch(/one of those containers/);
  });

  it('names the ContainerPort field and lists the ports', () => {
    const doc = parseAppSpec(yaml({ port: '9090' }), 'appspec.yaml');
    const error = catchInputError(() => validateAppSpecAgainstTaskDefinition(doc, td, 'appspec.yaml'));
    expect(error.where).toBe(`${PROPS}.LoadBalancerInfo.ContainerPort`);
    expect(error.message).toContain(
      "is 9090, which is not a containerPort of container 'web' (its port mappings: 8080, 8443)",
    );
    expect(error.fix).toMatch(/portMappings/);
  });

  it('uses the user key casing in the path', () => {
    const doc = parseAppSpec(fixture('appspec-lowercase.json'), 'appspec.json');
    const error = catchInputError(() =>
      validateAppSpecAgainstTaskDefinition(
        doc,
        { family: 'web', containerDefinitions: [{ name: 'other' }] },
        'appspec.json',
      ),
    );
    expect(error.where).toBe(
      'appspec.json: resources[0].myService.properties.loadBalancerInfo.containerName',
    );
  });
});

describe('appSpecTarget', () => {
  it('rejects a document without a load balancer target', () => {
    const error = catchInputError(() =>
      appSpecTarget({
        Resources: [{ TargetService: { Type: 'AWS::ECS::Service', Properties: { TaskDefinition: 'x' } } }],
      }),
    );
    expect(error.where).toBe('AppSpec: Resources[0].TargetService.Properties');
    expect(error.message).toContain('LoadBalancerInfo.ContainerName');
  });
});
