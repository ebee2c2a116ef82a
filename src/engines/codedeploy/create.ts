/**
 * The change the CodeDeploy engine makes: create the deployment whose AppSpec points at the task
 * definition revision (registered before: src/engine/revision.ts).
 */
import {
  CreateDeploymentCommand,
  GetDeploymentCommand,
  type CodeDeployClient,
} from '@aws-sdk/client-codedeploy';
import { cutDescription, type AutoRollbackEvent } from '../../action/inputs.js';
import { serializeAppSpec, withTaskDefinitionArn, type AppSpecDocument } from './appspec.js';
import { isAwsError } from '../../aws/errors.js';
import { DeploymentError, errorMessage } from '../../action/errors.js';
import { consoleUrl } from '../../aws/console-url.js';
import { carriesMarker } from '../../action/run-marker.js';

/** A deployment is already running in the group (CodeDeploy allows one at a time). */
export class ActiveDeploymentError extends DeploymentError {
  constructor(
    readonly activeDeploymentId: string,
    readonly deploymentGroup: string,
    region: string,
  ) {
    super(
      `Deployment group '${deploymentGroup}' already has an active deployment ${activeDeploymentId} (${consoleUrl(region, activeDeploymentId)}). ` +
        "Wait for it to finish, stop it, or set on-active-deployment to 'wait' or 'stop'.",
    );
    this.name = 'ActiveDeploymentError';
  }
}

/** The deployment id in CodeDeploy's "already has an active Deployment" message (both known phrasings). */
export function activeDeploymentIdFromMessage(message: string): string | undefined {
  return /(?:is already deploying|already has an active Deployment) '?(d-[A-Z0-9]+)'?/i.exec(message)?.[1];
}

export interface CreateDeploymentParams {
  application: string;
  deploymentGroup: string;
  deploymentConfigName?: string;
  description?: string;
  /**
   * this run's mark, which `description` ends with (run-marker.ts): a retried create adopts the group's
   * active deployment only when it carries exactly this mark; without one, never
   */
  marker?: string;
  appSpec: AppSpecDocument;
  taskDefinitionArn: string;
  autoRollbackEvents?: AutoRollbackEvent[];
  region: string;
}

export interface CreatedDeployment {
  deploymentId: string;
  appSpecContent: string;
  sha256: string;
  /** true when a retried CreateDeployment had in fact created it the first time */
  adopted: boolean;
}

export function autoRollbackConfiguration(
  events: AutoRollbackEvent[] | undefined,
): { enabled: boolean; events?: AutoRollbackEvent[] } | undefined {
  if (events === undefined) return undefined;
  return events.length === 0 ? { enabled: false } : { enabled: true, events };
}

export async function createDeployment(
  codedeploy: CodeDeployClient,
  params: CreateDeploymentParams,
): Promise<CreatedDeployment> {
  const appSpec = withTaskDefinitionArn(params.appSpec, params.taskDefinitionArn);
  const { content, sha256 } = serializeAppSpec(appSpec);
  try {
    const response = await codedeploy.send(
      new CreateDeploymentCommand({
        applicationName: params.application,
        deploymentGroupName: params.deploymentGroup,
        deploymentConfigName: params.deploymentConfigName,
        // within CodeDeploy's 256 characters (the deploy command's text already fits, its run mark last)
        description: params.description === undefined ? undefined : cutDescription(params.description),
        revision: { revisionType: 'AppSpecContent', appSpecContent: { content, sha256 } },
        autoRollbackConfiguration: autoRollbackConfiguration(params.autoRollbackEvents),
      }),
    );
    if (!response.deploymentId) throw new Error('CreateDeployment returned no deployment id');
    return { deploymentId: response.deploymentId, appSpecContent: content, sha256, adopted: false };
  } catch (error) {
    if (!isAwsError(error, 'DeploymentLimitExceededException')) throw error;
    const activeId = activeDeploymentIdFromMessage(errorMessage(error));
    if (!activeId) throw new ActiveDeploymentError('(unknown id)', params.deploymentGroup, params.region);
    // The SDK retries a CreateDeployment whose answer was lost; the "other" deployment may be ours.
    if (await isOurs(codedeploy, activeId, sha256, params.marker)) {
      return { deploymentId: activeId, appSpecContent: content, sha256, adopted: true };
    }
    throw new ActiveDeploymentError(activeId, params.deploymentGroup, params.region);
  }
}

/**
 * Whether the group's active deployment is the one this create made: the same AppSpec and this run's mark
 * (run, attempt and the step's nonce). The AppSpec alone is not enough: another run deploying the same
 * revision to the group has the same hash.
 */
async function isOurs(
  codedeploy: CodeDeployClient,
  deploymentId: string,
  sha256: string,
  marker: string | undefined,
): Promise<boolean> {
  if (!marker) return false;
  try {
    const info = (await codedeploy.send(new GetDeploymentCommand({ deploymentId }))).deploymentInfo;
    return info?.revision?.appSpecContent?.sha256 === sha256 && carriesMarker(info.description, marker);
  } catch {
    return false;
  }
}
