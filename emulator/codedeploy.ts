/** AWS CodeDeploy (awsJson1_1, target prefix CodeDeploy_20141006) for the ECS compute platform. */
import { parseAppSpec } from './appspec.js';
import { ApiError, type JsonHandler } from './protocol.js';
import {
  epochSeconds,
  type Deployment,
  type DeploymentGroup,
  type DeploymentStatus,
  type EmulatorState,
} from './state.js';
import {
  advanceAll,
  beginStopping,
  continueFromReady,
  continueFromTermination,
  DEPLOYMENT_CONFIGS,
  failDeployment,
  freshEvents,
  isActive,
  newDeploymentId,
  sha256,
  type TimelineContext,
} from './timeline.js';

/** CodeDeploy User Guide, limits: "Maximum number of characters in a deployment description | 256". */
export const MAX_DESCRIPTION_CHARACTERS = 256;

const STATUSES: DeploymentStatus[] = [
  'Created',
  'Queued',
  'InProgress',
  'Baking',
  'Succeeded',
  'Failed',
  'Stopped',
  'Ready',
];
const DEPLOYMENT_ID = /^d-[A-Z0-9]{9}$/;

function err(code: string, message: string): ApiError {
  return new ApiError(code, message);
}

function appName(state: EmulatorState, input: Record<string, unknown>): string {
  const name = input.applicationName;
  if (typeof name !== 'string' || name === '')
    throw err('ApplicationNameRequiredException', 'Application name is required.');
  if (name.length > 100) throw err('InvalidApplicationNameException', 'Application name is too long.');
  if (!state.applications.has(name))
    throw err('ApplicationDoesNotExistException', `No application found for name: ${name}`);
  return name;
}

function groupOf(state: EmulatorState, input: Record<string, unknown>): DeploymentGroup {
  const app = appName(state, input);
  const name = input.deploymentGroupName;
  if (typeof name !== 'string' || name === '')
    throw err('DeploymentGroupNameRequiredException', 'Deployment group name is required.');
  const g = state.deploymentGroups.get(`${app}/${name}`);
  if (!g) throw err('DeploymentGroupDoesNotExistException', `No Deployment Group found for name: ${name}`);
  return g;
}

function deploymentOf(state: EmulatorState, input: Record<string, unknown>): Deployment {
  const id = input.deploymentId;
  if (typeof id !== 'string' || id === '')
    throw err('DeploymentIdRequiredException', 'Deployment ID is required.');
  if (!DEPLOYMENT_ID.test(id))
    throw err('InvalidDeploymentIdException', `Specified deployment id is invalid: ${id}`);
  const d = state.deployments.get(id);
  if (!d) throw err('DeploymentDoesNotExistException', `The deployment ${id} could not be found.`);
  return d;
}

function loadBalancerInfo(state: EmulatorState, g: DeploymentGroup): Record<string, unknown> {
  return {
    targetGroupPairInfoList: [
      {
        targetGroups: g.targetGroupNames.map((name) => ({ name })),
        prodTrafficRoute: { listenerArns: [g.prodListenerArn] },
        ...(g.testListenerArn ? { testTrafficRoute: { listenerArns: [g.testListenerArn] } } : {}),
      },
    ],
  };
}

function blueGreen(g: DeploymentGroup): Record<string, unknown> {
  return {
    terminateBlueInstancesOnDeploymentSuccess: {
      action: 'TERMINATE',
      terminationWaitTimeInMinutes: g.terminationWaitMinutes,
    },
    deploymentReadyOption: { ...g.readyOption },
  };
}

function historyWire(h: DeploymentGroup['lastAttemptedDeployment']): Record<string, unknown> | undefined {
  if (!h) return undefined;
  return {
    deploymentId: h.deploymentId,
    status: h.status,
    createTime: epochSeconds(h.createTime),
    ...(h.endTime !== undefined ? { endTime: epochSeconds(h.endTime) } : {}),
  };
}

function overview(d: Deployment): Record<string, number> {
  const o = { Pending: 0, InProgress: 0, Succeeded: 0, Failed: 0, Skipped: 0, Ready: 0 };
  const s = d.target.status as keyof typeof o;
  if (s in o) o[s] = 1;
  return o;
}

export function deploymentWire(state: EmulatorState, d: Deployment): Record<string, unknown> {
  const g = state.deploymentGroups.get(`${d.applicationName}/${d.deploymentGroupName}`);
  return {
    applicationName: d.applicationName,
    deploymentGroupName: d.deploymentGroupName,
    deploymentConfigName: d.deploymentConfigName,
    deploymentId: d.deploymentId,
    ...(d.previousRevisionSha256
      ? {
          previousRevision: {
            revisionType: 'AppSpecContent',
            appSpecContent: { sha256: d.previousRevisionSha256 },
          },
        }
      : {}),
    revision: { revisionType: 'AppSpecContent', appSpecContent: { sha256: d.revisionSha256 } },
    status: d.status,
    ...(d.errorInformation ? { errorInformation: d.errorInformation } : {}),
    createTime: epochSeconds(d.createTime),
    ...(d.startTime !== undefined ? { startTime: epochSeconds(d.startTime) } : {}),
    ...(d.completeTime !== undefined ? { completeTime: epochSeconds(d.completeTime) } : {}),
    deploymentOverview: overview(d),
    ...(d.description !== undefined ? { description: d.description } : {}),
    creator: d.creator,
    ignoreApplicationStopFailures: false,
    ...(d.autoRollbackConfiguration ? { autoRollbackConfiguration: d.autoRollbackConfiguration } : {}),
    updateOutdatedInstancesOnly: false,
    ...(d.rollbackInfo ? { rollbackInfo: d.rollbackInfo } : {}),
    deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
    ...(g
      ? {
          blueGreenDeploymentConfiguration: {
            terminateBlueInstancesOnDeploymentSuccess: {
              action: 'TERMINATE',
              terminationWaitTimeInMinutes: d.terminationWaitMinutes,
            },
            deploymentReadyOption: { ...d.readyOption },
          },
          loadBalancerInfo: loadBalancerInfo(state, g),
        }
      : {}),
    instanceTerminationWaitTimeStarted: false,
    deploymentStatusMessages: d.statusMessages,
    computePlatform: 'ECS',
  };
}

function targetWire(state: EmulatorState, d: Deployment, omitLabel = false): Record<string, unknown> {
  const g = state.deploymentGroups.get(`${d.applicationName}/${d.deploymentGroupName}`);
  const svcKey = g ? `${g.ecsService.clusterName}/${g.ecsService.serviceName}` : '';
  const svc = state.services.get(svcKey);
  const sets = svc?.taskSets ?? [];
  const tgName = (arn: string | undefined) =>
    [...state.targetGroups.values()].find((t) => t.arn === arn)?.name;
  const info = [
    { id: d.blueTaskSetId, label: 'Blue' },
    { id: d.greenTaskSetId, label: 'Green' },
  ]
    .map(({ id, label }) => ({ set: sets.find((s) => s.id === id), label }))
    .filter((x) => x.set !== undefined)
    .map(({ set, label }) => ({
      identifer: set!.id,
      desiredCount: set!.computedDesiredCount,
      pendingCount: set!.pendingCount,
      runningCount: set!.runningCount,
      status: set!.status,
      trafficWeight: set!.trafficWeight,
      targetGroup: { name: tgName(set!.targetGroupArn) },
      ...(omitLabel ? {} : { taskSetLabel: label }),
    }));
  return {
    deploymentTargetType: 'ECSTarget',
    ecsTarget: {
      deploymentId: d.deploymentId,
      targetId: g ? `${g.ecsService.clusterName}:${g.ecsService.serviceName}` : '',
      targetArn: svc?.serviceArn,
      lastUpdatedAt: epochSeconds(d.target.lastUpdatedAt),
      lifecycleEvents: d.target.events.map((e) => ({
        lifecycleEventName: e.lifecycleEventName,
        status: e.status,
        ...(e.startTime !== undefined ? { startTime: epochSeconds(e.startTime) } : {}),
        ...(e.endTime !== undefined ? { endTime: epochSeconds(e.endTime) } : {}),
        ...(e.diagnostics ? { diagnostics: e.diagnostics } : {}),
      })),
      status: d.target.status,
      taskSetsInfo: info,
    },
  };
}

/** The AppSpec of the service as it runs now, used as the previous revision of a first deployment. */
function currentRevisionContent(state: EmulatorState, g: DeploymentGroup): string | undefined {
  const svc = state.services.get(`${g.ecsService.clusterName}/${g.ecsService.serviceName}`);
  const primary = svc?.taskSets.find((t) => t.status === 'PRIMARY');
  if (!svc || !primary) return undefined;
  return JSON.stringify({
    version: 0.0,
    Resources: [
      {
        TargetService: {
          Type: 'AWS::ECS::Service',
          Properties: {
            TaskDefinition: primary.taskDefinition,
            LoadBalancerInfo: { ContainerName: primary.containerName, ContainerPort: primary.containerPort },
          },
        },
      },
    ],
  });
}

export function storeRevision(
  state: EmulatorState,
  app: string,
  content: string,
  group: string,
  at: number,
): string {
  const hash = sha256(content);
  const key = `${app}/${hash}`;
  const existing = state.revisions.get(key);
  if (existing) {
    existing.lastUsedTime = at;
    if (!existing.deploymentGroups.includes(group)) existing.deploymentGroups.push(group);
  } else
    state.revisions.set(key, {
      applicationName: app,
      sha256: hash,
      content,
      registerTime: at,
      firstUsedTime: at,
      lastUsedTime: at,
      deploymentGroups: [group],
    });
  return hash;
}

export function codedeployHandlers(state: EmulatorState, ctx: TimelineContext): Record<string, JsonHandler> {
  return {
    GetApplication: (input) => {
      const a = state.applications.get(appName(state, input))!;
      return {
        application: {
          applicationId: a.applicationId,
          applicationName: a.applicationName,
          createTime: epochSeconds(a.createTime),
          linkedToGitHub: false,
          computePlatform: a.computePlatform,
        },
      };
    },
    GetDeploymentGroup: (input) => {
      const g = groupOf(state, input);
      const last = historyWire(g.lastSuccessfulDeployment);
      const attempted = historyWire(g.lastAttemptedDeployment);
      return {
        deploymentGroupInfo: {
          applicationName: g.applicationName,
          deploymentGroupId: g.deploymentGroupId,
          deploymentGroupName: g.deploymentGroupName,
          deploymentConfigName: g.deploymentConfigName,
          serviceRoleArn: g.serviceRoleArn,
          autoRollbackConfiguration: g.autoRollbackConfiguration,
          alarmConfiguration: { enabled: false, ignorePollAlarmFailure: false, alarms: [] },
          deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
          blueGreenDeploymentConfiguration: blueGreen(g),
          loadBalancerInfo: loadBalancerInfo(state, g),
          ...(last ? { lastSuccessfulDeployment: last } : {}),
          ...(attempted ? { lastAttemptedDeployment: attempted } : {}),
          computePlatform: 'ECS',
          ecsServices: [g.ecsService],
          triggerConfigurations: [],
          outdatedInstancesStrategy: 'UPDATE',
          terminationHookEnabled: false,
        },
      };
    },
    GetDeploymentConfig: (input) => {
      const name = input.deploymentConfigName;
      if (typeof name !== 'string' || name === '')
        throw err('DeploymentConfigNameRequiredException', 'Deployment config name is required.');
      const c = DEPLOYMENT_CONFIGS[name];
      if (!c)
        throw err(
          'DeploymentConfigDoesNotExistException',
          `No deployment configuration found for name: ${name}`,
        );
      return {
        deploymentConfigInfo: {
          deploymentConfigId: c.id,
          deploymentConfigName: name,
          createTime: 1_543_431_361,
          computePlatform: 'ECS',
          trafficRoutingConfig: c.trafficRoutingConfig,
        },
      };
    },
    ListDeployments: (input) => {
      let list = [...state.deployments.values()];
      if (input.deploymentGroupName !== undefined && input.applicationName === undefined)
        throw err(
          'ApplicationNameRequiredException',
          'Application name is required when a deployment group is given.',
        );
      if (input.applicationName !== undefined) {
        const app = appName(state, input);
        list = list.filter((d) => d.applicationName === app);
        if (input.deploymentGroupName !== undefined) {
          const g = groupOf(state, input);
          list = list.filter((d) => d.deploymentGroupName === g.deploymentGroupName);
        }
      }
      if (input.includeOnlyStatuses !== undefined) {
        const statuses = input.includeOnlyStatuses;
        if (!Array.isArray(statuses) || statuses.some((s) => !STATUSES.includes(s as DeploymentStatus)))
          throw err('InvalidDeploymentStatusException', 'The deployment status specified is not valid.');
        list = list.filter((d) => statuses.includes(d.status));
      }
      const range = input.createTimeRange as { start?: number; end?: number } | undefined;
      if (range) {
        if (range.start !== undefined && range.end !== undefined && range.start > range.end)
          throw err('InvalidTimeRangeException', 'The specified time range is invalid.');
        list = list.filter(
          (d) =>
            (range.start === undefined || d.createTime >= range.start * 1000) &&
            (range.end === undefined || d.createTime <= range.end * 1000),
        );
      }
      const ids = list.reverse().map((d) => d.deploymentId); // newest first
      const start =
        typeof input.nextToken === 'string' ? Number(Buffer.from(input.nextToken, 'base64').toString()) : 0;
      if (!Number.isInteger(start) || start < 0)
        throw err('InvalidNextTokenException', 'The next token is invalid.');
      const page = ids.slice(start, start + 100);
      return {
        deployments: page,
        ...(start + 100 < ids.length
          ? { nextToken: Buffer.from(String(start + 100)).toString('base64') }
          : {}),
      };
    },
    CreateDeployment: (input, rc) => {
      const g = groupOf(state, input);
      const configName =
        typeof input.deploymentConfigName === 'string' ? input.deploymentConfigName : g.deploymentConfigName;
      if (!DEPLOYMENT_CONFIGS[configName])
        throw err(
          'DeploymentConfigDoesNotExistException',
          `No deployment configuration found for name: ${configName}`,
        );
      const revision = input.revision as Record<string, unknown> | undefined;
      if (!revision) throw err('RevisionRequiredException', 'Revision is required.');
      if (revision.revisionType !== 'AppSpecContent')
        throw err(
          'InvalidRevisionException',
          `Revision type ${String(revision.revisionType)} is not supported by the emulator for ECS; use AppSpecContent.`,
        );
      const asc = revision.appSpecContent as { content?: unknown; sha256?: unknown } | undefined;
      if (!asc || typeof asc.content !== 'string' || asc.content === '')
        throw err('InvalidRevisionException', 'The AppSpecContent revision has no content.');
      if (asc.sha256 !== undefined && asc.sha256 !== sha256(asc.content))
        throw err(
          'InvalidRevisionException',
          'The sha256 of the AppSpec content does not match the content.',
        );
      // "Maximum number of characters in a deployment description: 256" (UG limits); the message is the
      // exception's documented text, the wire message itself is unconfirmed (docs/aws-behaviours.md)
      if (typeof input.description === 'string' && input.description.length > MAX_DESCRIPTION_CHARACTERS)
        throw err('DescriptionTooLongException', 'The description is too long.');
      const arc = input.autoRollbackConfiguration as { enabled?: unknown; events?: unknown } | undefined;
      if (arc !== undefined) {
        const events = Array.isArray(arc.events) ? arc.events : [];
        const allowed = ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'];
        if (
          events.some((e) => !allowed.includes(e as string)) ||
          (arc.enabled === true && events.length === 0)
        )
          throw err(
            'InvalidAutoRollbackConfigException',
            'The automatic rollback configuration is not valid.',
          );
      }
      const appSpec = parseAppSpec(asc.content);
      advanceAll(ctx, rc.now);
      const active = [...state.deployments.values()].find(
        (d) =>
          d.applicationName === g.applicationName &&
          d.deploymentGroupName === g.deploymentGroupName &&
          isActive(d),
      );
      if (active)
        throw err(
          'DeploymentLimitExceededException',
          `The Deployment Group '${g.deploymentGroupName}' already has an active Deployment '${active.deploymentId}'`,
        );
      const previous = g.lastSuccessfulDeployment
        ? state.deployments.get(g.lastSuccessfulDeployment.deploymentId)?.revisionSha256
        : undefined;
      const currentContent = previous === undefined ? currentRevisionContent(state, g) : undefined;
      const previousSha =
        previous ??
        (currentContent !== undefined
          ? storeRevision(state, g.applicationName, currentContent, g.deploymentGroupName, rc.now)
          : undefined);
      const hash = storeRevision(state, g.applicationName, asc.content, g.deploymentGroupName, rc.now);
      const id = newDeploymentId(state);
      const d: Deployment = {
        deploymentId: id,
        applicationName: g.applicationName,
        deploymentGroupName: g.deploymentGroupName,
        deploymentConfigName: configName,
        status: 'Created',
        createTime: rc.now,
        ...(typeof input.description === 'string' ? { description: input.description } : {}),
        creator: 'user',
        autoRollbackConfiguration:
          arc !== undefined
            ? { enabled: arc.enabled === true, events: (arc.events as string[] | undefined) ?? [] }
            : { ...g.autoRollbackConfiguration, events: [...g.autoRollbackConfiguration.events] },
        revisionSha256: hash,
        ...(previousSha !== undefined ? { previousRevisionSha256: previousSha } : {}),
        appSpec,
        readyOption: { ...g.readyOption },
        terminationWaitMinutes: g.terminationWaitMinutes,
        target: {
          status: 'Pending',
          lastUpdatedAt: rc.now,
          events: freshEvents(ctx.faults().omitTestTrafficEvents === true && g.testListenerArn === undefined),
        },
        phase: { kind: 'created' },
        statusMessages: [],
      };
      state.deployments.set(id, d);
      g.lastAttemptedDeployment = { deploymentId: id, status: 'Created', createTime: rc.now };
      return { deploymentId: id };
    },
    GetDeployment: (input) => ({ deploymentInfo: deploymentWire(state, deploymentOf(state, input)) }),
    BatchGetDeployments: (input) => {
      const ids = input.deploymentIds;
      if (!Array.isArray(ids)) throw err('DeploymentIdRequiredException', 'Deployment IDs are required.');
      if (ids.length > 25)
        throw err('BatchLimitExceededException', 'The maximum number of deployment IDs is 25.');
      const infos = ids
        .map((id) => state.deployments.get(String(id)))
        .filter((d): d is Deployment => d !== undefined)
        .map((d) => deploymentWire(state, d));
      return { deploymentsInfo: infos };
    },
    ListDeploymentTargets: (input) => {
      const d = deploymentOf(state, input);
      if (d.status === 'Created')
        throw err('DeploymentNotStartedException', `The deployment ${d.deploymentId} has not started.`);
      const g = state.deploymentGroups.get(`${d.applicationName}/${d.deploymentGroupName}`);
      const filters = input.targetFilters as Record<string, string[]> | undefined;
      const statusFilter = filters?.TargetStatus;
      const ids = g ? [`${g.ecsService.clusterName}:${g.ecsService.serviceName}`] : [];
      return { targetIds: statusFilter && !statusFilter.includes(d.target.status) ? [] : ids };
    },
    GetDeploymentTarget: (input) => {
      const d = deploymentOf(state, input);
      const targetId = input.targetId;
      if (typeof targetId !== 'string' || targetId === '')
        throw err('DeploymentTargetIdRequiredException', 'A deployment target ID is required.');
      if (d.status === 'Created')
        throw err('DeploymentNotStartedException', `The deployment ${d.deploymentId} has not started.`);
      const g = state.deploymentGroups.get(`${d.applicationName}/${d.deploymentGroupName}`);
      if (!g || targetId !== `${g.ecsService.clusterName}:${g.ecsService.serviceName}`)
        throw err(
          'DeploymentTargetDoesNotExistException',
          `The target ${targetId} does not exist in deployment ${d.deploymentId}.`,
        );
      return { deploymentTarget: targetWire(state, d, ctx.faults().omitTaskSetLabel === true) };
    },
    ContinueDeployment: (input, rc) => {
      const d = deploymentOf(state, input);
      const type = input.deploymentWaitType ?? 'READY_WAIT';
      if (type !== 'READY_WAIT' && type !== 'TERMINATION_WAIT')
        throw err('InvalidDeploymentWaitTypeException', `The wait type ${String(type)} is invalid.`);
      if (!isActive(d))
        throw err(
          'DeploymentAlreadyCompletedException',
          `The deployment ${d.deploymentId} has already completed.`,
        );
      if (type === 'READY_WAIT') {
        if (d.phase.kind !== 'ready')
          throw err(
            'DeploymentIsNotInReadyStateException',
            `The deployment ${d.deploymentId} does not have a status of Ready and can't continue yet.`,
          );
        continueFromReady(ctx, d, rc.now);
      } else {
        if (d.phase.kind !== 'termination')
          throw err(
            'InvalidDeploymentWaitTypeException',
            `The deployment ${d.deploymentId} is not waiting to terminate the original task set, so TERMINATION_WAIT does not apply.`,
          );
        continueFromTermination(ctx, d, rc.now);
      }
      return {};
    },
    StopDeployment: (input, rc) => {
      const d = deploymentOf(state, input);
      if (!isActive(d))
        throw err(
          'DeploymentAlreadyCompletedException',
          `The deployment ${d.deploymentId} has already completed.`,
        );
      const override = typeof input.autoRollbackEnabled === 'boolean' ? input.autoRollbackEnabled : undefined;
      const pending = ctx.faults().stopPending;
      if (d.phase.kind === 'stopping' || pending) {
        // a repeated StopDeployment while stopping answers Pending again [unconfirmed]
        if (d.phase.kind !== 'stopping')
          beginStopping(d, rc.now, (pending?.delaySeconds ?? 0) * 1000, override);
        return { status: 'Pending', statusMessage: `Stopping the deployment ${d.deploymentId}.` };
      }
      const rb = failDeployment(
        ctx,
        d,
        rc.now,
        'Stopped',
        { code: 'MANUAL_STOP', message: 'The deployment was stopped by the user.' },
        'DEPLOYMENT_STOP_ON_REQUEST',
        override,
      );
      return rb
        ? {
            status: 'Pending',
            statusMessage: `Stopping the deployment; rollback deployment ${rb.deploymentId} started.`,
          }
        : {
            status: 'Succeeded',
            statusMessage: 'No more commands will be scheduled for execution in the deployment instances',
          };
    },
    GetApplicationRevision: (input) => {
      const app = appName(state, input);
      const revision = input.revision as Record<string, unknown> | undefined;
      if (!revision) throw err('RevisionRequiredException', 'Revision is required.');
      const asc = revision.appSpecContent as { content?: string; sha256?: string } | undefined;
      const hash = asc?.sha256 ?? (typeof asc?.content === 'string' ? sha256(asc.content) : undefined);
      const stored = hash === undefined ? undefined : state.revisions.get(`${app}/${hash}`);
      if (revision.revisionType !== 'AppSpecContent' || !stored)
        throw err(
          'RevisionDoesNotExistException',
          'No application revision found for the given revision location.',
        );
      return {
        applicationName: app,
        revision: {
          revisionType: 'AppSpecContent',
          appSpecContent: { content: stored.content, sha256: stored.sha256 },
        },
        revisionInfo: {
          registerTime: epochSeconds(stored.registerTime),
          firstUsedTime: epochSeconds(stored.firstUsedTime),
          lastUsedTime: epochSeconds(stored.lastUsedTime),
          deploymentGroups: stored.deploymentGroups,
        },
      };
    },
  };
}
