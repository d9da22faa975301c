/** A command run with `ctx.sh`/`ctx.exec` exited non-zero (or was killed). */
export class ShellError extends Error {
  readonly exitCode: number;
  readonly command: string;

  constructor(command: string, exitCode: number, signal: string | null) {
    super(
      signal
        ? `command "${command}" was killed by ${signal}`
        : `command "${command}" exited with code ${exitCode}`,
    );
    this.name = 'ShellError';
    this.command = command;
    this.exitCode = exitCode;
  }
}

/** A pipeline definition or sparkwing.yaml is invalid. */
export class PipelineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PipelineError';
  }
}
