import {readFileSync} from 'node:fs';
import type {Config} from '../config.js';
import {parseDuration} from '../config.js';
import {formatInZone, MISSED_RUN_POLICIES, SCHEDULE_STATUSES, type ScheduleStatus} from '../core/domain/schedule.js';
import {describeSchedule, type ScheduleRunView, type ScheduleView} from '../mcp/schedule-view.js';
import {CliError, stdout, withFleet, type Output} from './client.js';
import {settingsFromFlags} from './task-flags.js';

/** What every scheduled task shares with `ccfleet delegate`: the task spec's flags (task-flags.ts). */
export type TaskFlags = Record<string, unknown> & {json: boolean};

export type ScheduleFlags = TaskFlags & {
	cron?: string;
	at?: string;
	timezone?: string;
	missedRunPolicy?: string;
	file?: string;
	status?: string;
	runs?: number;
};

export type PipelineFlags = TaskFlags & {delay?: string};

/** The task settings as the schedule tools take them, checked here so that a typo fails before anything is sent. */
function taskArguments(flags: TaskFlags): Record<string, unknown> {
	return settingsFromFlags(flags);
}

const SUBCOMMANDS = ['create', 'list', 'get', 'pause', 'resume', 'cancel'] as const;

/** `ccfleet schedule <create|list|get|pause|resume|cancel> …` */
export async function schedule(config: Config, input: string[], flags: ScheduleFlags, io: Output = stdout): Promise<number> {
	const [subcommand, ...rest] = input;
	const needId = (verb: string) => {
		const id = rest[0];
		if (!id) throw new CliError(`ccfleet schedule ${verb} needs a schedule id. Find it with \`ccfleet schedule list\`.`);
		return id;
	};
	switch (subcommand) {
		case 'create':
			return createSchedule(config, rest, flags, io);
		case 'list':
			return listSchedules(config, flags, io);
		case 'get':
			return getSchedule(config, needId('get'), flags, io);
		case 'pause':
		case 'resume': {
			const id = needId(subcommand);
			return withFleet(config, async fleet => {
				const {schedule} = await fleet.call(`${subcommand}_schedule`, {id});
				io.out(flags.json ? JSON.stringify(schedule, null, 2) : describeSchedule(schedule));
				return 0;
			});
		}
		case 'cancel': {
			const id = needId('cancel');
			const reason = rest.slice(1).join(' ').trim();
			return withFleet(config, async fleet => {
				const {schedule} = await fleet.call('cancel_schedule', {id, ...(reason ? {reason} : {})});
				io.out(flags.json ? JSON.stringify(schedule, null, 2) : `${describeSchedule(schedule)}${schedule.endReason ? ` (${schedule.endReason})` : ''}`);
				return 0;
			});
		}
		case undefined:
			throw new CliError(`ccfleet schedule needs a subcommand: ${SUBCOMMANDS.join(', ')}. See ccfleet schedule --help.`);
		default:
			throw new CliError(`Unknown subcommand "ccfleet schedule ${subcommand}". Use one of ${SUBCOMMANDS.join(', ')}; see ccfleet schedule --help.`);
	}
}

async function createSchedule(config: Config, words: string[], flags: ScheduleFlags, io: Output): Promise<number> {
	const parts = words.length > 0 ? [words.join(' ')] : [];
	if (flags.file) {
		try {
			parts.push(readFileSync(flags.file, 'utf8'));
		} catch (error) {
			throw new CliError(`Cannot read the prompt file ${flags.file}: ${(error as Error).message}`);
		}
	}
	const prompt = parts.join('\n\n');
	if (!prompt.trim()) throw new CliError('No prompt given. Pass it as words (ccfleet schedule create "check the build" --cron "0 9 * * *") or with --file <path>.');
	if ((flags.cron === undefined) === (flags.at === undefined)) {
		throw new CliError(
			`Give exactly one of --cron "<5 fields>" (recurring, e.g. --cron "0 9 * * 1-5") or --at <ISO time> (once, e.g. --at 2026-03-08T09:00); got ${flags.cron === undefined ? 'neither' : 'both'}.`,
		);
	}
	if (flags.missedRunPolicy !== undefined && !MISSED_RUN_POLICIES.includes(flags.missedRunPolicy as never)) {
		throw new CliError(`--missed-run-policy ${flags.missedRunPolicy} is not one of ${MISSED_RUN_POLICIES.join(', ')}.`);
	}
	// Times are read in the zone of the person typing them, which can differ from the daemon's.
	const timezone = flags.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
	const args = {
		prompt,
		...taskArguments(flags),
		...(flags.cron === undefined ? {} : {cron: flags.cron}),
		...(flags.at === undefined ? {} : {at: flags.at}),
		timezone,
		...(flags.missedRunPolicy ? {missedRunPolicy: flags.missedRunPolicy} : {}),
	};
	return withFleet(config, async fleet => {
		const {schedule} = await fleet.call('schedule_task', args);
		io.out(flags.json ? JSON.stringify(schedule, null, 2) : describeSchedule(schedule));
		return 0;
	});
}

async function listSchedules(config: Config, flags: ScheduleFlags, io: Output): Promise<number> {
	const statuses = flags.status
		?.split(',')
		.map(status => status.trim())
		.filter(Boolean);
	for (const status of statuses ?? []) {
		if (!SCHEDULE_STATUSES.includes(status as ScheduleStatus)) throw new CliError(`--status ${status} is not one of ${SCHEDULE_STATUSES.join(', ')}.`);
	}
	return withFleet(config, async fleet => {
		const {schedules} = await fleet.call('list_schedules', statuses?.length ? {status: statuses} : {});
		if (flags.json) io.out(JSON.stringify(schedules, null, 2));
		else io.out(formatScheduleTable(schedules));
		return 0;
	});
}

async function getSchedule(config: Config, id: string, flags: ScheduleFlags, io: Output): Promise<number> {
	return withFleet(config, async fleet => {
		const result = await fleet.call('get_schedule', {id, ...(flags.runs === undefined ? {} : {runs: flags.runs})});
		io.out(flags.json ? JSON.stringify(result, null, 2) : formatSchedule(result.schedule, result.runs));
		return 0;
	});
}

/** `ccfleet pipeline "<p1>" "<p2>" … --delay 5m` */
export async function pipeline(config: Config, steps: string[], flags: PipelineFlags, io: Output = stdout): Promise<number> {
	if (steps.length === 0) throw new CliError('ccfleet pipeline needs at least one step: ccfleet pipeline "write the feature" "review it" --delay 5m');
	const empty = steps.findIndex(step => step.trim() === '');
	if (empty >= 0) throw new CliError(`Step ${empty + 1} of the pipeline is empty; give every step a prompt.`);
	// parseDuration refuses 0, which here means the next step starts as soon as the previous one completes.
	const delay = flags.delay === undefined ? undefined : /^\s*0+(?:\.0+)?\s*(?:ms|s|m|min|h)?\s*$/i.test(flags.delay) ? 0 : parseDuration(flags.delay, '--delay');
	return withFleet(config, async fleet => {
		const result = await fleet.call('schedule_pipeline', {
			steps,
			...taskArguments(flags),
			...(delay === undefined ? {} : {delay}),
		});
		if (flags.json) {
			io.out(JSON.stringify(result, null, 2));
			return 0;
		}
		const lines = result.schedules.map(step => `  ${step.pipeline!.step}. ${step.id} ${oneLine(step.task.prompt, 70)}`);
		io.out(
			[
				`pipeline ${result.pipelineId}: ${result.schedules.length} step${result.schedules.length === 1 ? '' : 's'}${delay ? `, ${flags.delay} after each completes` : ''}`,
				...lines,
				result.firstTaskId ? `step 1 is task ${result.firstTaskId}: follow it with ccfleet logs ${result.firstTaskId} --follow` : '',
			]
				.filter(Boolean)
				.join('\n'),
		);
		return 0;
	});
}

function oneLine(text: string, width: number): string {
	const flat = text.replace(/\s+/g, ' ').trim();
	return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

function when(schedule: ScheduleView): string {
	if (schedule.kind === 'cron') return `cron ${schedule.cron}`;
	if (schedule.pipeline) return `step ${schedule.pipeline.step}/${schedule.pipeline.steps} of ${schedule.pipeline.pipelineId}`;
	return `once`;
}

/** The schedule list of `ccfleet schedule list`. */
function formatScheduleTable(schedules: ScheduleView[], columns = process.stdout.columns || 100): string {
	if (schedules.length === 0) return 'No schedules yet. Create one with: ccfleet schedule create "<what to do>" --cron "0 9 * * 1-5"';
	const rows = schedules.map(schedule => [
		schedule.id,
		schedule.status,
		when(schedule),
		schedule.nextRunLocal ?? (schedule.status === 'active' && schedule.pipeline ? 'after the step before' : '-'),
	]);
	const header = ['ID', 'STATUS', 'WHEN', 'NEXT RUN'];
	const widths = header.map((title, i) => Math.max(title.length, ...rows.map(row => row[i]!.length)));
	const used = widths.reduce((sum, width) => sum + width + 2, 0);
	const promptWidth = Math.max(20, columns - used - 1);
	const line = (cells: string[], prompt: string) => `${cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}  ${prompt}`;
	return [line(header, 'PROMPT'), ...schedules.map((schedule, i) => line(rows[i]!, oneLine(schedule.task.prompt, promptWidth)))].join('\n');
}

/** One schedule in full with its runs, for `ccfleet schedule get <id>`. */
function formatSchedule(schedule: ScheduleView, runs: ScheduleRunView[]): string {
	const local = (iso: string | undefined) => (iso === undefined ? undefined : formatInZone(Date.parse(iso), schedule.timezone));
	const link = schedule.pipeline;
	const lines: [string, string | undefined][] = [
		['id', schedule.id],
		['status', schedule.status],
		['kind', schedule.kind === 'cron' ? `cron "${schedule.cron}"` : `once${schedule.runAt ? ` at ${local(schedule.runAt)}` : ''}`],
		['time zone', schedule.timezone],
		['missed runs', schedule.missedRunPolicy],
		['next run', schedule.nextRunAt ? `${schedule.nextRunLocal} (${schedule.nextRunAt})` : undefined],
		['last run', local(schedule.lastRunAt)],
		['pipeline', link ? `${link.pipelineId}, step ${link.step} of ${link.steps}, ${link.delayMs / 1000} s after the step before completes` : undefined],
		['ended', schedule.endReason],
		['cwd', schedule.task.cwd],
		['priority', schedule.task.priority],
		['mode', schedule.task.mode],
		['model', schedule.task.model],
		['prompt', oneLine(schedule.task.prompt, 300)],
	];
	const body = lines.filter(([, value]) => value !== undefined).map(([key, value]) => `${key.padEnd(13)}${value}`);
	body.push('');
	if (runs.length === 0) {
		body.push('No runs yet.');
		return body.join('\n');
	}
	const rows = runs.map(run => [local(run.scheduledFor)!, run.outcome, run.taskId ?? '-', run.detail ?? '']);
	const header = ['DUE', 'OUTCOME', 'TASK', 'DETAIL'];
	const widths = header.map((title, i) => Math.max(title.length, ...rows.map(row => row[i]!.length)));
	const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
	body.push(`runs (oldest first):`, line(header), ...rows.map(line));
	return body.join('\n');
}
