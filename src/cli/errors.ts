// One way for every subcommand to report a user's mistake (bad config, bad file, bad flag): one line naming the
// problem on stderr and exit status 2, no stack trace. Anything else is a bug and propagates.

/** Reports `err` as `myriad <command>: message` (exit status 2) when `isUserError` says so; rethrows otherwise. */
export function reportUserError(command: string, err: unknown, isUserError: (e: Error) => boolean): void {
  if (!(err instanceof Error) || !isUserError(err)) throw err;
  process.stderr.write(`myriad ${command}: ${err.message}\n`);
  process.exitCode = 2;
}
