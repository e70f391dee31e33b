/** Exit codes that tell success, build failure, usage/input errors and cancellation apart. */
export const ExitCode = {
  success: 0,
  buildFailed: 1,
  usage: 2,
  cancelled: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
