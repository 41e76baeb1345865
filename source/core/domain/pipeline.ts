import {InvalidInputError} from './errors.js';
import {checkTaskTemplate, type Schedule, type ScheduleTaskTemplate} from './schedule.js';

export type PipelineInput = {
	/** One prompt per step, in order. */
	steps: string[];
	/** Wait between a step's task completing and the next step's task being submitted. @default 0 */
	delayMs?: number;
	/** Everything of each step's task but the prompt. */
	task: Omit<ScheduleTaskTemplate, 'prompt'>;
	timezone?: string;
};

/**
 * A pipeline's steps as one-time schedules: the first due now, each later one armed when the step before it
 * completes. Steps catch up after downtime rather than skip, so a chain is never cut. Throws InvalidInputError
 * naming the bad step or setting.
 */
export function createPipelineSchedules(input: PipelineInput, context: {pipelineId: string; newId: () => string; now: number; timezone: string}): Schedule[] {
	const delayMs = input.delayMs ?? 0;
	if (!Array.isArray(input.steps) || input.steps.length === 0) throw new InvalidInputError('A pipeline needs at least one step (one prompt per step).');
	if (!Number.isFinite(delayMs) || delayMs < 0) throw new InvalidInputError(`The delay between steps must be ≥ 0 milliseconds, got ${delayMs}.`);
	const tasks = input.steps.map((prompt, index) => {
		if (typeof prompt !== 'string' || prompt.trim() === '')
			throw new InvalidInputError(`Step ${index + 1} of the pipeline has an empty prompt; give every step something to do.`);
		return checkTaskTemplate({...input.task, prompt});
	});
	const {now, pipelineId, timezone} = context;
	return tasks.map((task, index): Schedule => ({
		id: context.newId(),
		kind: 'once',
		...(index === 0 ? {runAt: now, nextRunAt: now} : {}),
		timezone,
		missedRunPolicy: 'catchup',
		status: 'active',
		task,
		createdAt: now,
		updatedAt: now,
		pipeline: {pipelineId, step: index + 1, steps: tasks.length, delayMs},
	}));
}
