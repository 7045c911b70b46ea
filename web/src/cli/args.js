// Command lines of the package's and the repository's commands (yamux-wasi, scripts/demo,
// scripts/soak, the bench scripts), all answering the same way: a bad argument gets one line
// on stderr naming it and what it accepts, and exit status 2; --help prints the usage on
// stdout and exits 0. Options are `--name VALUE`, `--name=VALUE` or `--flag`; `--` ends them.
//
//   const opts = parseCommandLine({
//     name: 'scripts/demo',
//     usage: 'scripts/demo [--streams N]',
//     options: { streams: { type: 'integer', min: 1, max: 1000, default: 32, help: '...' } },
//   });

/** A bad command line: `message` is the one line to print (without the command's name). */
export class UsageError extends Error {
  constructor(message) {
    super(message);
    this.name = 'UsageError';
  }
}

const SIZE_UNITS = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Value types: parse(text, spec) returns the value or throws UsageError(what it accepts). */
const TYPES = {
  boolean: { takesValue: false },
  string: {
    parse(text) {
      if (text === '') throw new UsageError('expected a non-empty value');
      return text;
    },
  },
  integer: {
    parse(text, spec) {
      const min = spec.min ?? Number.MIN_SAFE_INTEGER, max = spec.max ?? Number.MAX_SAFE_INTEGER;
      const v = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
      if (!Number.isSafeInteger(v) || v < min || v > max) throw new UsageError(`expected an integer ${range(min, max)}`);
      return v;
    },
  },
  number: {
    parse(text, spec) {
      const min = spec.min ?? -Infinity, max = spec.max ?? Infinity;
      const v = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : NaN;
      if (!Number.isFinite(v) || v < min || v > max) throw new UsageError(`expected a number ${range(min, max)}`);
      return v;
    },
  },
  /** Bytes, with an optional binary suffix: 65536, 64K, 8M, 1G. */
  size: {
    parse(text, spec) {
      const m = /^(\d+)([kmg]?)(i?b)?$/i.exec(text);
      const v = m ? Number(m[1]) * SIZE_UNITS[m[2].toLowerCase()] : NaN;
      const min = spec.min ?? 0, max = spec.max ?? Number.MAX_SAFE_INTEGER;
      if (!Number.isSafeInteger(v) || v < min || v > max)
        throw new UsageError(`expected a size in bytes ${range(min, max, fmtSize)} (suffixes K, M, G)`);
      return v;
    },
  },
  port: {
    parse(text) {
      const v = /^\d+$/.test(text) ? Number(text) : NaN;
      if (!(v >= 0 && v <= 65535)) throw new UsageError('expected a TCP port from 0 to 65535');
      return v;
    },
  },
  /** HOST:PORT ([v6]:PORT too); `{host, port}`. */
  hostport: {
    parse(text, spec) {
      const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
      const port = m ? Number(m[3]) : NaN, min = spec.min ?? 0;
      if (!m || !(port >= min && port <= 65535)) throw new UsageError(`expected HOST:PORT (port from ${min} to 65535)`);
      return { host: m[1] ?? m[2], port };
    },
  },
  choice: {
    parse(text, spec) {
      if (!spec.choices.includes(text)) throw new UsageError(`expected one of ${spec.choices.join(', ')}`);
      return text;
    },
  },
};

function fmtSize(n) {
  for (const [u, f] of [['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]]) if (n >= f && n % f === 0) return `${n / f}${u}`;
  return String(n);
}

function range(min, max, fmt = String) {
  const lo = Number.isFinite(min) && min > Number.MIN_SAFE_INTEGER, hi = Number.isFinite(max) && max < Number.MAX_SAFE_INTEGER;
  if (lo && hi) return `from ${fmt(min)} to ${fmt(max)}`;
  if (lo) return `of at least ${fmt(min)}`;
  if (hi) return `of at most ${fmt(max)}`;
  return '';
}

/**
 * Parses `argv` against `spec` and returns `{...options, _: positionals}` (options absent from
 * the command line take their `default`, or undefined). Throws UsageError for a bad argument,
 * and returns `{help: true}` for --help / -h.
 * @param {object} spec
 * @param {Record<string, {type: string, default?: any, min?: number, max?: number, choices?: string[]}>} spec.options
 *   keys are the option names without the dashes
 * @param {string} [spec.text] the whole --help text, when the command writes its own
 * @param {{min?: number, max?: number, rest?: boolean, names?: string}} [spec.positionals] how
 *   many positionals are allowed (default none); with `rest`, everything from the first
 *   positional on is passed through unparsed (a program and its own arguments)
 * @param {string[]} argv
 */
export function parseArgv(spec, argv) {
  const options = spec.options || {};
  const pos = { min: 0, max: 0, ...(spec.positionals || {}) };
  const out = { _: [] };
  const seen = new Set();
  for (const [k, o] of Object.entries(options)) {
    if (!TYPES[o.type]) throw new TypeError(`cli: unknown option type ${o.type} for --${k}`);
    out[camel(k)] = o.default ?? (o.type === 'boolean' ? false : undefined);
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return { help: true };
    if (a === '--') {
      out._.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      if (pos.rest) {
        out._.push(...argv.slice(i));
        break;
      }
      out._.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = (eq > 0 ? a.slice(0, eq) : a).replace(/^--?/, '');
    const o = Object.hasOwn(options, name) ? options[name] : null;
    if (!o) {
      const known = Object.keys(options).map((k) => `--${k}`).concat('--help').join(', ');
      throw new UsageError(`unknown option ${eq > 0 ? a.slice(0, eq) : a}; the options are ${known}`);
    }
    const type = TYPES[o.type];
    if (seen.has(name)) throw new UsageError(`--${name} given twice`);
    seen.add(name);
    if (type.takesValue === false) {
      if (eq > 0) throw new UsageError(`--${name} takes no value`);
      out[camel(name)] = true;
      continue;
    }
    let text;
    if (eq > 0) text = a.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) text = argv[++i];
    else throw new UsageError(`--${name} needs a value: ${describe(o)}`);
    try {
      out[camel(name)] = type.parse(text, o);
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`--${name}: ${e.message}, got '${text}'`);
      throw e;
    }
  }
  if (out._.length < pos.min) throw new UsageError(`missing ${pos.names || 'argument'}`);
  if (!pos.rest && out._.length > pos.max)
    throw new UsageError(pos.max ? `too many arguments: '${out._[pos.max]}' (expected ${pos.names})` : `unexpected argument '${out._[0]}' (this command takes only options)`);
  return out;
}

/** What an option accepts, for "needs a value" messages. */
function describe(o) {
  try {
    TYPES[o.type].parse('\u0000', o);
  } catch (e) {
    return e.message.replace(/^expected /, '');
  }
  return o.arg ? `a ${o.arg}` : o.type;
}

function camel(name) {
  return name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
}

/** The usage text: spec.text when the command writes its own, else spec.usage, then one
 * line per option. */
export function usageText(spec) {
  if (spec.text) return spec.text.trimEnd();
  const lines = [`usage: ${spec.usage}`];
  if (spec.summary) lines.push('', spec.summary);
  const opts = Object.entries(spec.options || {});
  if (opts.length) {
    lines.push('', 'options:');
    const left = opts.map(([k, o]) => `  --${k}${o.type === 'boolean' ? '' : ` ${o.arg || o.type.toUpperCase()}`}`);
    const w = Math.max(...left.map((l) => l.length), '  --help'.length) + 2;
    opts.forEach(([, o], i) => {
      const def = o.default !== undefined && o.type !== 'boolean' ? ` (default ${o.type === 'size' ? fmtSize(o.default) : o.default})` : '';
      lines.push(`${left[i].padEnd(w)}${o.help || ''}${def}`);
    });
    lines.push(`${'  --help'.padEnd(w)}print this help and exit`);
  }
  if (spec.epilog) lines.push('', spec.epilog);
  return lines.join('\n');
}

/**
 * For a command's main module: parses process.argv (or `argv`); on --help prints the usage
 * and exits 0; on a bad argument prints `NAME: message` as one line on stderr and exits 2.
 * Otherwise returns the parsed options.
 */
export function parseCommandLine(spec, argv = process.argv.slice(2)) {
  let r;
  try {
    r = parseArgv(spec, argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${spec.name}: ${e.message} (see --help)\n`);
    process.exit(2);
  }
  if (r.help) {
    process.stdout.write(usageText(spec) + '\n');
    process.exit(0);
  }
  return r;
}
