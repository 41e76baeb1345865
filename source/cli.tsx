import meow from 'meow';
import {ConfigError, loadConfig, type Config} from './config.js';
import {FleetError} from './core/domain/errors.js';
import {createStderrLogger} from './adapters/system/stderr-logger.js';
import {CliError} from './cli/client.js';

const MAIN_HELP = `
  ccfleet — a fleet of background Claude Code workers on this machine

  Usage
    $ ccfleet                         the dashboard (starts a background core if none runs)
    $ ccfleet delegate <prompt>       hand a task to a worker
    $ ccfleet status [id]             all tasks, or one in full
    $ ccfleet logs <id>               what a worker did
    $ ccfleet cancel <id> [reason]    cancel a queued or running task
    $ ccfleet schedule <subcommand>   run a task later or on a cron schedule (create, list, get, pause, resume, cancel)
    $ ccfleet pipeline <p1> <p2> …    run prompts one after another, with --delay between them
    $ ccfleet retry <id>              run a finished task again from scratch
    $ ccfleet resume <id> [context]   continue a finished task's conversation
    $ ccfleet respond <id> approve|deny [why]|text <text>   answer a worker that waits
    $ ccfleet wait <id>...            wait until tasks end
    $ ccfleet attach <id>             a worker's own screen, keys passed through; Ctrl-] detaches
    $ ccfleet mcp                     the MCP server on stdio, for Claude Code
    $ ccfleet --daemon                run the core headless (for servers and systemd)
    $ ccfleet --demo                  the dashboard on a mock API with scripted tasks: no account needed,
                                      nothing leaves this machine, everything is removed on quit

  Run \`ccfleet <command> --help\` for a command's options.

  Environment
    CCFLEET_HOME              state directory (default \${XDG_STATE_HOME:-~/.local/state}/ccfleet)
    CCFLEET_MAX_WORKERS       workers at once (default: cores, at most 8)
    TASK_TIMEOUT              per-task timeout (default 30m)
    MAX_OUTPUT_BUFFER         per-task log cap (default 10MB)
    CCFLEET_PERMISSION_MODE   workers' claude --permission-mode (default acceptEdits)
    CCFLEET_MODE              pty or headless workers (default pty)
    CCFLEET_MAX_ATTEMPTS      runs a task gets after rate limits or crashes (default 3)
    CCFLEET_RETRY_BASE        first pause before such a retry, doubling each time (default 10s)
    CCFLEET_CLAUDE_BIN        the claude to run (default: claude on PATH, else the bundled one)
    LOG_LEVEL                 debug, info, warn, error (default info)
`;

type CommandSpec = {
	help: string;
	flags: Record<string, {type: 'string' | 'boolean' | 'number'; shortFlag?: string; default?: unknown; isMultiple?: boolean}>;
	/** Takes every task setting as a flag, made from the task spec; its help has them where it says TASK_OPTIONS. */
	taskFlags?: boolean;
};

const COMMANDS: Record<string, CommandSpec> = {
	delegate: {
		help: `
  Usage
    $ ccfleet delegate <prompt>
    $ ccfleet delegate --file task.md
    $ git diff | ccfleet delegate "Review these changes"

  Options
TASK_OPTIONS
    --file, -f <path>        read the prompt (or more of it) from a file
    --wait, -w               stay until the task ends, with a live progress line; print its result
    --json                   print the task as JSON
    --no-stdin               do not read the prompt from stdin even when it is not a terminal
`,
		taskFlags: true,
		flags: {
			file: {type: 'string', shortFlag: 'f'},
			wait: {type: 'boolean', shortFlag: 'w', default: false},
			json: {type: 'boolean', default: false},
			stdin: {type: 'boolean'},
		},
	},
	status: {
		help: `
  Usage
    $ ccfleet status          the most recent tasks
    $ ccfleet status <id>     one task in full: status, result, failure reason, cost

  Options
    --all     up to 1000 tasks instead of 30
    --json    print JSON
`,
		flags: {json: {type: 'boolean', default: false}, all: {type: 'boolean', default: false}},
	},
	logs: {
		help: `
  Usage
    $ ccfleet logs <id>

  Options
    --tail, -n <N>   only the last N lines
    --follow, -f     keep printing new output until the task ends
`,
		flags: {tail: {type: 'number', shortFlag: 'n'}, follow: {type: 'boolean', shortFlag: 'f', default: false}},
	},
	cancel: {
		help: `
  Usage
    $ ccfleet cancel <id> [reason]

  Stops a running task's whole process tree, or takes a queued task off the queue. The reason is kept.
`,
		flags: {},
	},
	retry: {
		help: `
  Usage
    $ ccfleet retry <id>

  Runs a completed, failed or cancelled task again from scratch, as a new task with the same prompt and settings.

  Options
    --json    print the new task as JSON
`,
		flags: {json: {type: 'boolean', default: false}},
	},
	resume: {
		help: `
  Usage
    $ ccfleet resume <id> [what to do next]

  Continues a finished task as a new task: its Claude conversation is resumed (claude --resume) when it is on
  disk, with your words as the next message; otherwise a fresh worker is told the task and its outcome.

  Options
    --json    print the new task as JSON
`,
		flags: {json: {type: 'boolean', default: false}},
	},
	respond: {
		help: `
  Usage
    $ ccfleet respond <id> approve
    $ ccfleet respond <id> deny [why]
    $ ccfleet respond <id> text <what to type>

  Answers the permission question of a worker in needs_input (see \`ccfleet status <id>\`), or types into it.
`,
		flags: {},
	},
	wait: {
		help: `
  Usage
    $ ccfleet wait <id>...

  Waits until the tasks end, with a live progress line, and prints each outcome. Exits 1 unless all completed.

  Options
    --json    print the tasks as JSON
`,
		flags: {json: {type: 'boolean', default: false}},
	},
	schedule: {
		taskFlags: true,
		help: `
  Usage
    $ ccfleet schedule create <prompt> --cron "<5 fields>" [options]   recurring
    $ ccfleet schedule create <prompt> --at <ISO 8601 time> [options]  once
    $ ccfleet schedule list [--status active,paused] [--json]
    $ ccfleet schedule get <id> [--runs N] [--json]                   the schedule and its run history
    $ ccfleet schedule pause <id>
    $ ccfleet schedule resume <id>                  a cron schedule goes on from now; missed runs are not made up
    $ ccfleet schedule cancel <id> [reason]         a task it already started goes on (ccfleet cancel stops that)

  Schedules live in the ccfleet core (the daemon or the dashboard) and survive restarts.
  A run never starts while the previous run of the same schedule is still working.

  Options (create)
    --cron <expr>                 minute hour day-of-month month day-of-week, e.g. "0 9 * * 1-5", "*/30 * * * *"
    --at <time>                   2026-03-08T09:00 (in --timezone), 2026-03-08T14:00:00Z, 2026-03-08T09:00-05:00
    --timezone <IANA zone>        e.g. Europe/Berlin, America/New_York, UTC (default: this machine's)
    --missed-run-policy <policy>  runs missed while ccfleet was down: skip (default), catchup (one run for them), fail
TASK_OPTIONS
    --file, -f <path>             read the prompt (or more of it) from a file
    --json                        print JSON

  Examples
    $ ccfleet schedule create "Run the test suite and report failures" --cron "0 7 * * 1-5" --timezone Europe/Berlin
    $ ccfleet schedule create "Write the release notes" --at 2026-03-08T17:00 --missed-run-policy catchup
`,
		flags: {
			cron: {type: 'string'},
			at: {type: 'string'},
			timezone: {type: 'string'},
			missedRunPolicy: {type: 'string'},
			file: {type: 'string', shortFlag: 'f'},
			status: {type: 'string'},
			runs: {type: 'number'},
			json: {type: 'boolean', default: false},
		},
	},
	pipeline: {
		taskFlags: true,
		help: `
  Usage
    $ ccfleet pipeline "<prompt 1>" "<prompt 2>" … [--delay 5m] [options]

  Runs the steps one after another: the first starts now, each next one --delay after the step before it
  completes. If a step fails or is cancelled, the steps after it are cancelled. Each step is a one-time
  schedule: see them with ccfleet schedule list.

  Options
    --delay <duration>           wait between a step completing and the next starting: 30s, 5m, 1h (default 0)
TASK_OPTIONS
    --json                       print JSON
`,
		flags: {
			delay: {type: 'string'},
			json: {type: 'boolean', default: false},
		},
	},
	attach: {
		help: `
  Usage
    $ ccfleet attach <id>

  Shows a running worker's own claude screen in this terminal and passes your keys straight to it, as if
  you had started claude yourself. Ctrl-] detaches and leaves the worker running. (pty workers only.)
`,
		flags: {},
	},
	mcp: {
		help: `
  Usage
    $ ccfleet mcp                     the MCP server on stdin/stdout (what Claude Code runs)
    $ ccfleet mcp config [--json]     how to add it to Claude Code: claude mcp add, .mcp.json, the permission
    $ ccfleet mcp install [--scope user|project|local]
                                      add it with claude mcp add-json and allow mcp__ccfleet in settings

  \`ccfleet mcp\` passes MCP to the ccfleet core (started in the background if none runs).

  Options
    --json                  (config) print it all as JSON
    --scope <scope>         (install) user: every project (default); project: .mcp.json here; local: only you, here
`,
		flags: {json: {type: 'boolean', default: false}, scope: {type: 'string'}},
	},
};

/**
 * Before React and Ink load: React's production build (the development one costs a third more CPU per frame), and
 * no CI mode on a real terminal (Ink draws nothing until exit when it believes it runs in CI).
 */
function prepareForInk(env: NodeJS.ProcessEnv, isTerminal: boolean | undefined): void {
	env.NODE_ENV ??= 'production';
	// Removed, not set to false: chalk treats any CI variable as "no colours".
	if (isTerminal) {
		delete env.CI;
		delete env.CONTINUOUS_INTEGRATION;
	}
}

async function main(argv: string[]): Promise<number> {
	const [command, ...rest] = argv;
	if (command && COMMANDS[command]) return runCommand(command, rest);
	const cli = meow(MAIN_HELP, {
		importMeta: import.meta,
		argv,
		flags: {daemon: {type: 'boolean', default: false}, demo: {type: 'boolean', default: false}},
		allowUnknownFlags: false,
	});
	if (cli.input.length > 0) {
		throw new CliError(`Unknown command "${cli.input[0]}". Commands: ${Object.keys(COMMANDS).join(', ')}. See ccfleet --help.`);
	}
	if (cli.flags.demo) {
		// Before loadConfig: the demo makes its own state directory and ignores the person's CCFLEET_* settings.
		prepareForInk(process.env, process.stdout.isTTY);
		const {runDemo} = await import('./demo/run-demo.js');
		process.exit(await runDemo());
	}
	const config = loadConfig();
	if (cli.flags.daemon) {
		const {runDaemon} = await import('./cli/daemon.js');
		return runDaemon(config, createStderrLogger(config.logLevel));
	}
	prepareForInk(process.env, process.stdout.isTTY);
	const {runDashboard} = await import('./ui/run-dashboard.js');
	const code = await runDashboard(config);
	// The dashboard is done and the terminal restored; whatever handle is still open must not keep it waiting.
	process.exit(code);
}

async function runCommand(command: string, argv: string[]): Promise<number> {
	let spec = COMMANDS[command]!;
	if (spec.taskFlags) {
		// Loaded only for the commands that take task settings: it brings the task spec's schema with it.
		const {taskFlagsHelp, taskMeowFlags} = await import('./cli/task-flags.js');
		spec = {...spec, help: spec.help.replace('TASK_OPTIONS', taskFlagsHelp()), flags: {...taskMeowFlags(), ...spec.flags}};
	}
	const cli = meow(spec.help, {importMeta: import.meta, argv, flags: spec.flags as never, allowUnknownFlags: false});
	const config: Config = loadConfig();
	const flags = cli.flags as Record<string, unknown>;
	const commands = await import('./cli/commands.js');
	const needId = (what: string) => {
		const id = cli.input[0];
		if (!id) throw new CliError(`${what} needs a task id. Find it with \`ccfleet status\`.`);
		return id;
	};
	switch (command) {
		case 'delegate': {
			// meow turns an absent boolean into false; here absent means "read stdin when it is piped".
			const stdin = argv.includes('--no-stdin') ? false : argv.includes('--stdin') ? true : undefined;
			return commands.delegate(config, cli.input, {...flags, stdin} as never);
		}
		case 'status':
			return commands.status(config, cli.input[0], flags as never);
		case 'logs':
			return commands.logs(config, needId('ccfleet logs'), flags as never);
		case 'cancel':
			return commands.cancel(config, needId('ccfleet cancel'), cli.input.slice(1).join(' ') || undefined);
		case 'retry':
			return commands.retry(config, needId('ccfleet retry'), flags as never);
		case 'resume':
			return commands.resume(config, needId('ccfleet resume'), cli.input.slice(1).join(' ') || undefined, flags as never);
		case 'respond':
			return commands.respond(config, needId('ccfleet respond'), cli.input[1], cli.input.slice(2));
		case 'wait':
			return commands.wait(config, cli.input, flags as never);
		case 'attach': {
			const id = needId('ccfleet attach');
			const {attachTerminal} = await import('./attach/attach-client.js');
			process.stderr.write(`ccfleet: attached to ${id}; Ctrl-] detaches.\n`);
			const how = await attachTerminal(config.attachSocketPath, id, {stdin: process.stdin, stdout: process.stdout});
			process.stderr.write(`\r\nccfleet: ${how === 'detached' ? `detached from ${id}; it goes on running` : `task ${id} ended`}.\n`);
			return 0;
		}
		case 'schedule': {
			// meow answers --help only when it is the sole argument; `ccfleet schedule create --help` should too.
			if (flags['help'] === true) cli.showHelp(0);
			const {schedule} = await import('./cli/schedule-commands.js');
			return schedule(config, cli.input, flags as never);
		}
		case 'pipeline': {
			if (flags['help'] === true) cli.showHelp(0);
			const {pipeline} = await import('./cli/schedule-commands.js');
			return pipeline(config, cli.input, flags as never);
		}
		case 'mcp': {
			const [subcommand, ...extra] = cli.input;
			if (extra.length > 0) throw new CliError(`ccfleet mcp ${subcommand} takes no arguments; got "${extra.join(' ')}".`);
			if (subcommand === 'config') {
				const {printMcpConfig} = await import('./cli/mcp-setup.js');
				return printMcpConfig({json: flags['json'] === true});
			}
			if (subcommand === 'install') {
				const {installMcp} = await import('./cli/mcp-setup.js');
				return installMcp({...(typeof flags['scope'] === 'string' ? {scope: flags['scope']} : {})});
			}
			if (subcommand !== undefined) throw new CliError(`Unknown subcommand "ccfleet mcp ${subcommand}". Use config, install, or nothing (the server itself).`);
			const {runMcpBridge} = await import('./cli/mcp-bridge.js');
			return runMcpBridge(config);
		}
		default:
			throw new CliError(`Unknown command ${command}.`);
	}
}

try {
	process.exitCode = await main(process.argv.slice(2));
} catch (error) {
	if (error instanceof CliError || error instanceof ConfigError || error instanceof FleetError) {
		process.stderr.write(`ccfleet: ${error.message}\n`);
	} else {
		process.stderr.write(`ccfleet: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
	}
	process.exitCode = 1;
}
