/**
 * `cnnlab`: the command-line face of the analysis (and, later, the engine).
 *   cnnlab summary FILE [--network NAME] [--json]
 *   cnnlab check FILE...
 * Exit codes: 0 fine, 1 the file has errors (check), 2 the command itself failed.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { analyze, type Analysis } from './analysis/analyze.js';
import { formatTable, toSummary } from './analysis/summary.js';

/** An error of the command itself: printed as one line, exit code 2. */
class UsageError extends Error {}

const USAGE = `usage:
  cnnlab summary FILE [--network NAME] [--json]   layer table: shapes, params, MACs, receptive field
  cnnlab check FILE...                            diagnostics as file:line:col: severity: message [code]`;

function load(file: string): Analysis {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message}`);
  }
  return analyze(text, basename(file, extname(file)));
}

/** Reads `--flag value` options and positional arguments. */
function options(args: string[], flags: string[], withValue: string[]): { pos: string[]; opt: Map<string, string | true> } {
  const pos: string[] = [];
  const opt = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      if (withValue.includes(a)) {
        if (i + 1 >= args.length) throw new UsageError(`${a} needs a value`);
        opt.set(a, args[++i]);
      } else if (flags.includes(a)) opt.set(a, true);
      else throw new UsageError(`unknown option ${a}\n${USAGE}`);
    } else pos.push(a);
  }
  return { pos, opt };
}

function summary(args: string[]): number {
  const { pos, opt } = options(args, ['--json'], ['--network']);
  if (pos.length !== 1) throw new UsageError(`summary takes one file\n${USAGE}`);
  const a = load(pos[0]);
  const name = opt.get('--network') as string | undefined;
  if (name !== undefined && !a.networks.some((n) => n.name === name)) {
    throw new UsageError(`no network named '${name}' in ${pos[0]} (it has: ${a.networks.map((n) => n.name).join(', ') || 'none'})`);
  }
  const s = toSummary(a, name);
  if (opt.has('--json')) {
    process.stdout.write(JSON.stringify(s, null, 2) + '\n');
  } else {
    process.stdout.write(s.networks.map(formatTable).join('\n\n') + '\n');
    const errors = s.diagnostics.filter((d) => d.severity === 'error' || d.severity === 'warning');
    if (errors.length) process.stdout.write(`\n${errors.length} problem${errors.length === 1 ? '' : 's'}: run \`cnnlab check ${pos[0]}\`\n`);
  }
  return 0;
}

function check(args: string[]): number {
  const { pos } = options(args, [], []);
  if (!pos.length) throw new UsageError(`check takes at least one file\n${USAGE}`);
  let failed = false;
  for (const file of pos) {
    const s = toSummary(load(file));
    for (const d of s.diagnostics) {
      process.stdout.write(`${file}:${d.line}:${d.column}: ${d.severity}: ${d.message} [${d.code}]\n`);
      if (d.severity === 'error') failed = true;
    }
  }
  return failed ? 1 : 0;
}

/** Runs the CLI with the given arguments and returns the exit code. */
export function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'summary': return summary(rest);
      case 'check': return check(rest);
      case undefined: case '-h': case '--help': case 'help':
        process.stdout.write(USAGE + '\n');
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${cmd}'\n${USAGE}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`cnnlab: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

process.exitCode = main(process.argv.slice(2));
