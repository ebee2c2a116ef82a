/** Parse an ECS AppSpec (YAML or JSON) the way CodeDeploy reads it at CreateDeployment. */
import { parse } from 'yaml';
import { ApiError } from './protocol.js';
import { HOOK_EVENTS, type HookEventName, type ParsedAppSpec } from './state.js';

function invalid(message: string): ApiError {
  return new ApiError('InvalidRevisionException', message);
}

/** Keys are looked up case-insensitively, as the official deploy action does. */
function get(obj: unknown, key: string): unknown {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  const k = Object.keys(obj).find((name) => name.toLowerCase() === key.toLowerCase());
  return k === undefined ? undefined : (obj as Record<string, unknown>)[k];
}

export function parseAppSpec(content: string): ParsedAppSpec {
  let doc: unknown;
  try {
    doc = parse(content);
  } catch (e) {
    throw invalid(`The AppSpec file could not be parsed: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw invalid('The AppSpec file must be a YAML or JSON object.');
  const version = get(doc, 'version');
  if (version === undefined) throw invalid('The AppSpec file is missing the required "version" section.');
  if (String(version) !== '0' && String(version) !== '0.0')
    throw invalid(
      `The AppSpec version "${String(version)}" is not supported; the only supported version is 0.0.`,
    );
  const resources = get(doc, 'resources');
  if (!Array.isArray(resources) || resources.length !== 1)
    throw invalid('The AppSpec file must contain exactly one ECS service resource under "Resources".');
  const entry = resources[0] as unknown;
  if (typeof entry !== 'object' || entry === null) throw invalid('The AppSpec resource entry is malformed.');
  const resource = Object.values(entry)[0] as unknown;
  const type = get(resource, 'type');
  if (type !== 'AWS::ECS::Service')
    throw invalid(`The AppSpec resource type must be AWS::ECS::Service, not ${JSON.stringify(type)}.`);
  const props = get(resource, 'properties');
  const td = get(props, 'taskDefinition');
  if (typeof td !== 'string' || td === '') throw invalid('The AppSpec resource has no TaskDefinition.');
  const lbi = get(props, 'loadBalancerInfo');
  const containerName = get(lbi, 'containerName');
  const containerPortRaw = get(lbi, 'containerPort');
  if (typeof containerName !== 'string' || containerName === '')
    throw invalid('The AppSpec LoadBalancerInfo has no ContainerName.');
  const containerPort = typeof containerPortRaw === 'string' ? Number(containerPortRaw) : containerPortRaw;
  if (typeof containerPort !== 'number' || !Number.isInteger(containerPort) || containerPort <= 0)
    throw invalid('The AppSpec LoadBalancerInfo has no valid ContainerPort.');
  const platformVersion = get(props, 'platformVersion');
  const net = get(props, 'networkConfiguration');
  let networkConfiguration: Record<string, unknown> | undefined;
  if (net !== undefined) {
    const awsvpc = get(net, 'awsvpcConfiguration');
    const subnets = get(awsvpc, 'subnets');
    if (!Array.isArray(subnets) || subnets.length === 0)
      throw invalid('The AppSpec NetworkConfiguration.AwsvpcConfiguration must list Subnets.');
    const sgs = get(awsvpc, 'securityGroups');
    const pub = get(awsvpc, 'assignPublicIp');
    networkConfiguration = {
      awsvpcConfiguration: {
        subnets,
        securityGroups: Array.isArray(sgs) ? sgs : [],
        assignPublicIp: pub === 'ENABLED' ? 'ENABLED' : 'DISABLED',
      },
    };
  }
  const hooks: Partial<Record<HookEventName, string>> = {};
  const hooksRaw = get(doc, 'hooks');
  if (hooksRaw !== undefined && hooksRaw !== null) {
    if (!Array.isArray(hooksRaw)) throw invalid('The AppSpec "Hooks" section must be a list.');
    for (const h of hooksRaw) {
      if (typeof h !== 'object' || h === null)
        throw invalid('Each AppSpec hook must be a map of event to function.');
      for (const [event, fn] of Object.entries(h as Record<string, unknown>)) {
        if (!(HOOK_EVENTS as string[]).includes(event))
          throw invalid(`The AppSpec hook event "${event}" is not valid for ECS deployments.`);
        if (typeof fn !== 'string' || fn === '')
          throw invalid(`The AppSpec hook "${event}" has no function name.`);
        hooks[event as HookEventName] = fn;
      }
    }
  }
  return {
    taskDefinitionArn: td,
    containerName,
    containerPort,
    ...(typeof platformVersion === 'string' ? { platformVersion } : {}),
    ...(networkConfiguration ? { networkConfiguration } : {}),
    hooks,
  };
}
