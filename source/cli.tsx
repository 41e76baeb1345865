import meow from 'meow';
import {loadConfig, type Config} from './config.js';
import {createStderrLogger} from './adapters/system/stderr-logger.js';
import {CliError, exitCodeOf, formatCliError} from './cli/errors.js';
import {checkFlags} from './cli/flag-check.js';
import {COMMANDS, MAIN_HELP} from './cli/command-specs.js';

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

/** What `ccfleet` says when started without a terminal (a script, Claude Code's Bash tool). */
const NO_TERMINAL = [
	'the dashboard needs a terminal, and this one has none (stdin or stdout is not a TTY). Without one, use the commands:',
	'  ccfleet delegate "<prompt>"   hand a task to a worker (prints its id)',
	'  ccfleet status [id]           all tasks, or one in full',
	'  ccfleet wait <id>             wait until it ends and print its result',
	'  ccfleet logs <id>             what a worker did',
	'  ccfleet --daemon              run the core without a dashboard; ccfleet stop stops it',
	'ccfleet --help lists every command.',
].join('\n');

async function main(argv: string[]): Promise<number> {
	const [command, ...rest] = argv;
	if (command && COMMANDS[command]) return runCommand(command, rest);
	const mainFlags = {daemon: {type: 'boolean', default: false}, demo: {type: 'boolean', default: false}} as const;
	checkFlags(argv, mainFlags, '');
	// MAIN_HELP has the tagline; meow would put package.json's description above it as well.
	const cli = meow(MAIN_HELP, {importMeta: import.meta, argv, flags: mainFlags, allowUnknownFlags: false, description: false});
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
	if (!process.stdin.isTTY || !process.stdout.isTTY) throw new CliError(NO_TERMINAL);
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
	checkFlags(argv, spec.flags, command);
	const cli = meow(spec.help, {importMeta: import.meta, argv, flags: spec.flags as never, allowUnknownFlags: false, description: spec.description ?? false});
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
			return commands.respond(config, needId('ccfleet respond'), cli.input[1], cli.input.slice(2), flags);
		case 'inbox': {
			const {inbox} = await import('./cli/inbox-command.js');
			return inbox(config, cli.input, flags);
		}
		case 'worktrees': {
			const {worktrees} = await import('./cli/worktrees-command.js');
			return worktrees(config, cli.input, flags);
		}
		case 'wait':
			return commands.wait(config, cli.input, flags as never);
		case 'configure': {
			const {configure} = await import('./cli/configure-command.js');
			return configure(config, flags as never);
		}
		case 'doctor': {
			const {doctor} = await import('./cli/doctor-command.js');
			return doctor(config, flags);
		}
		case 'attach': {
			const id = needId('ccfleet attach');
			// Unknown, ended, queued or headless: said before anything is printed or the terminal is touched.
			await commands.checkAttachable(config, id);
			const {attachTerminal} = await import('./attach/attach-client.js');
			process.stderr.write(`ccfleet: attached to ${id}; Ctrl-] detaches.\n`);
			const how = await attachTerminal(config.attachSocketPath, id, {stdin: process.stdin, stdout: process.stdout});
			process.stderr.write(`\r\nccfleet: ${how === 'detached' ? `detached from ${id}; it goes on running` : `task ${id} ended`}.\n`);
			return 0;
		}
		case 'serve': {
			const {serve} = await import('./cli/serve-command.js');
			return serve(config, flags);
		}
		case 'token': {
			const {token} = await import('./cli/token-command.js');
			return token(config, cli.input, flags);
		}
		case 'stop': {
			const {stop} = await import('./cli/stop-command.js');
			return stop(config, flags as never);
		}
		case 'schedule': {
			// meow answers --help only when it is the sole argument; `ccfleet schedule create --help` should too.
			if (flags['help'] === true) cli.showHelp(0);
			const {schedule} = await import('./cli/schedule-commands.js');
			return schedule(config, cli.input, flags as never);
		}
		case 'workflow': {
			if (flags['help'] === true) cli.showHelp(0);
			const {workflow} = await import('./cli/workflow-commands.js');
			return workflow(config, cli.input, flags as never);
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
	// One formatter for every command: the message, never a stack trace or the MCP SDK's prefixes.
	process.stderr.write(`ccfleet: ${formatCliError(error)}\n`);
	process.exitCode = exitCodeOf(error);
}
