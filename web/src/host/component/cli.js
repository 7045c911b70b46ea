// wasi:cli: environment (arguments, variables, no initial directory), exit (a thrown
// ComponentExit the runner catches), stdin/stdout/stderr as wasi:io streams over the host's
// byte streams, and the terminal interfaces (stdio is never a terminal here).
import { InputStream, OutputStream } from './streams.js';

/** Thrown through the guest by wasi:cli/exit; the runner turns it into an exit status. */
export class ComponentExit extends Error {
  constructor(code) {
    super(`exit ${code}`);
    this.code = code;
  }
}

class TerminalInput {}
class TerminalOutput {}

/**
 * The wasi:cli interfaces.
 * @param {import('./poll.js').Poller} poller
 * @param {{args: string[], env: [string, string][], stdin, stdout, stderr}} o byte streams
 */
export function cliImports(poller, { args, env, stdin, stdout, stderr }) {
  const exit = (code) => {
    throw new ComponentExit(code);
  };
  return {
    'wasi:cli/environment': {
      getArguments: () => args.slice(),
      getEnvironment: () => env.map(([k, v]) => [k, v]),
      initialCwd: () => undefined,
    },
    'wasi:cli/exit': {
      // The preview 1 adapter maps proc_exit(n != 0) to err: status 1.
      exit: (status) => exit(status && status.tag === 'err' ? 1 : 0),
      exitWithCode: (code) => exit(code & 0xff),
    },
    'wasi:cli/stdin': { getStdin: () => new InputStream(poller, stdin) },
    'wasi:cli/stdout': { getStdout: () => new OutputStream(poller, stdout) },
    'wasi:cli/stderr': { getStderr: () => new OutputStream(poller, stderr) },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
  };
}
