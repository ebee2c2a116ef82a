/**
 * An error the user can fix: bad input, a missing or misconfigured AWS resource.
 * Thrown before anything is changed in AWS. `where` names the file, input, field or resource,
 * `fix` says what to do about it.
 */
export class InputError extends Error {
  readonly where: string;
  readonly fix: string | undefined;

  constructor(where: string, problem: string, fix?: string) {
    super(fix ? `${where}: ${problem} ${fix}` : `${where}: ${problem}`);
    this.name = 'InputError';
    this.where = where;
    this.fix = fix;
  }
}

/** The deployment ran and did not reach the state the user waited for (failed, stopped, timed out). */
export class DeploymentError extends Error {
  /** an error annotation with the details was already written: the step only has to fail */
  readonly reported: boolean;

  constructor(message: string, options?: ErrorOptions & { reported?: boolean }) {
    super(message, options);
    this.name = 'DeploymentError';
    this.reported = options?.reported ?? false;
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
