import {z} from 'zod';
import {MERGE_STRATEGIES} from '../ports/workspace.js';
import {InvalidInputError} from './errors.js';
import {parseRule, RuleSyntaxError} from './permission-rule.js';
import {ROLE_NAMES} from './roles.js';
import {DEPENDENCY_FAILURE_POLICIES, ISOLATIONS, PERMISSION_MODES, PRIORITIES, WORKER_MODES} from './task-enums.js';

/** Longest prompt accepted: megabytes, so that `git diff | ccfleet delegate "Review"` fits. */
export const MAX_PROMPT_CHARS = 16 * 1024 * 1024;
/** Longest a task may be allowed to run. */
export const MAX_TIMEOUT_MS = 7 * 24 * 3_600_000;
/** Largest per-task output cap. */
export const MAX_OUTPUT_CAP_BYTES = 1024 ** 3;
/** Largest per-task budget: a ceiling against a typo, far above what one task costs. */
export const MAX_TASK_BUDGET_USD = 10_000;

/** A permission rule in Claude Code's syntax, checked when the task is submitted. */
const ruleListSchema = z
	.array(
		z.string().superRefine((text, context) => {
			try {
				parseRule(text);
			} catch (error) {
				if (!(error instanceof RuleSyntaxError)) throw error;
				context.addIssue({code: 'custom', message: error.message});
			}
		}),
	)
	.max(200);

/** A host id or label: 1–63 letters, digits, dots, dashes or underscores, starting with a letter or digit. */
const hostNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a host id or label: letters, digits, dots, dashes or underscores');

export const taskIdSchema = z.string().min(1).max(100).describe('A task id, as delegate_task returned it, e.g. "k3f9a2zq".');

/**
 * What a task asks for, every field of it, in one place. The MCP tools take it as their input schema, the CLI makes
 * its flags and their help from it, schedules and pipelines keep it as their template, the dashboard's form fills
 * it in, and retry and resume copy it from the task (`specOf`). A new setting is added here, to the task's storage,
 * and to the places that show it.
 */
export const taskSpecShape = {
	prompt: z.string().min(1).max(MAX_PROMPT_CHARS).describe('Everything the worker needs to know: the goal, the files involved, how to verify, what to report back.'),
	cwd: z.string().min(1).max(4096).describe('Absolute path of the directory the worker runs in (usually the project root).'),
	priority: z.enum(PRIORITIES).optional().describe('P0 runs before P1 before P2; default P1.'),
	timeoutMs: z
		.number()
		.int()
		.positive()
		.max(MAX_TIMEOUT_MS)
		.optional()
		.describe('How long the task may run before it fails (milliseconds); default TASK_TIMEOUT (30 minutes).'),
	maxOutputBytes: z.number().int().positive().max(MAX_OUTPUT_CAP_BYTES).optional().describe("Cap of the task's log in bytes; default MAX_OUTPUT_BUFFER (10 MB)."),
	maxBudgetUsd: z
		.number()
		.positive()
		.max(MAX_TASK_BUDGET_USD)
		.optional()
		.describe('Most the task may spend, in USD; once its cost reaches this it is stopped and fails. Default: no limit.'),
	dependsOn: z.array(taskIdSchema).max(100).optional().describe('Task ids that must complete before this one starts.'),
	continueFrom: taskIdSchema
		.optional()
		.describe(
			"A task this one picks up from: it waits for it, and its checkpoint (result, git branch and SHA, dirty files, last output lines) is put before this task's prompt.",
		),
	onDependencyFailure: z
		.enum(DEPENDENCY_FAILURE_POLICIES)
		.optional()
		.describe(
			'If a dependency fails or is cancelled: fail (default) ends this task as failed, skip ends it as skipped, run runs it anyway and tells it which dependency failed.',
		),
	// A name, checked against the role catalogue (built-in and the user's roles/ directory) when the task is submitted.
	role: z
		.string()
		.min(1)
		.max(40)
		.optional()
		.describe(
			`A role whose instructions are added to the worker's system prompt: ${ROLE_NAMES.join(', ')}, or one defined in the roles/ folder of ccfleet's config directory.`,
		),
	mode: z
		.enum(WORKER_MODES)
		.optional()
		.describe(
			"pty (default): the interactive claude in a terminal, which a person can attach to. headless: claude -p with stream-json, half the memory and claude's exact cost.",
		),
	isolation: z
		.enum(ISOLATIONS)
		.optional()
		.describe('worktree: the worker works in a git worktree of its own (branch ccfleet/<id>), so its changes stay off your checkout until merged. Default none.'),
	mergeStrategy: z
		.enum(MERGE_STRATEGIES)
		.optional()
		.describe(
			'With isolation worktree, when the task completes: manual (default) keeps the changes on the branch, patch also writes a patch file, auto lands them on the base branch through the merge queue (rebased, verified, never over uncommitted changes), pr pushes the branch and opens a pull request with gh.',
		),
	base: z
		.string()
		.min(1)
		.max(250)
		.regex(/^(?!-)(?!.*\.\.)[^\s~^:?*[\\]+$/, 'a branch name, e.g. "main"')
		.optional()
		.describe("With merge strategy auto or pr: the branch the work goes into (the pull request's base). Default: the checkout's current branch."),
	verify: z
		.string()
		.min(1)
		.max(2000)
		.optional()
		.describe('With merge strategy auto: a shell command run in the worktree after rebasing onto the base, e.g. "npm test"; the work lands only if it passes.'),
	model: z.string().min(1).max(200).optional().describe('claude --model for the worker, e.g. "sonnet" or "opus"; default: claude\'s own.'),
	permissionMode: z.enum(PERMISSION_MODES).optional().describe('claude --permission-mode for the worker; default acceptEdits (file edits allowed, other tools ask).'),
	allow: ruleListSchema.optional().describe('Permission rules answered yes without asking, for this task, e.g. ["Bash(npm test:*)", "Edit(src/**)"].'),
	deny: ruleListSchema.optional().describe('Permission rules answered no without asking (the worker is told why), e.g. ["Bash(rm:*)"].'),
	// Names as CCFLEET_HOST_ID and CCFLEET_HOST_LABELS accept them, so that a pin can match a host at all.
	host: hostNameSchema.optional().describe('Run only on this host (its CCFLEET_HOST_ID).'),
	label: hostNameSchema.optional().describe('Run only on a host with this label (CCFLEET_HOST_LABELS), e.g. "big-ram".'),
};

export type TaskSpecField = keyof typeof taskSpecShape;
export const TASK_SPEC_FIELDS = Object.keys(taskSpecShape) as TaskSpecField[];

/** A field a task does not have is refused, never dropped: a misspelt setting must not silently vanish. */
export const taskSpecSchema = z.strictObject(taskSpecShape, {
	error: issue => (issue.code === 'unrecognized_keys' ? unknownFieldsMessage(issue.keys, TASK_SPEC_FIELDS) : undefined),
});

/** What a task asks for. */
export type TaskSpec = z.infer<typeof taskSpecSchema>;

/** "Unknown field timeout; did you mean timeoutMs? …", naming what is accepted. */
function unknownFieldsMessage(keys: readonly string[], accepted: readonly string[]): string {
	const guesses = keys.map(key => closestName(key, accepted)).filter((guess): guess is string => guess !== undefined);
	const hint = guesses.length > 0 ? ` Did you mean ${guesses.join(', ')}?` : '';
	return `Unknown field${keys.length === 1 ? '' : 's'} ${keys.join(', ')}.${hint} Accepted: ${accepted.join(', ')}.`;
}

/** The accepted name a mistyped one most likely meant: the one sharing the longest start, or a near spelling. */
export function closestName(key: string, accepted: readonly string[]): string | undefined {
	const lower = key.toLowerCase();
	let best: {name: string; score: number} | undefined;
	for (const name of accepted) {
		const other = name.toLowerCase();
		let common = 0;
		while (common < Math.min(lower.length, other.length) && lower[common] === other[common]) common++;
		const score = common >= 4 ? common : editDistance(lower, other) <= 2 ? 3 : 0;
		if (score > 0 && (!best || score > best.score)) best = {name, score};
	}
	return best?.name;
}

function editDistance(a: string, b: string): number {
	let previous = Array.from({length: b.length + 1}, (_, index) => index);
	for (let i = 1; i <= a.length; i++) {
		const current = [i];
		for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
		previous = current;
	}
	return previous[b.length]!;
}

/**
 * The spec a task was made from, for running it again (retry), continuing it (resume) or showing it: every field the
 * task carries, so that no setting is lost on the way. Copies arrays, so the result can be changed freely.
 */
export function specOf(task: TaskSpec): TaskSpec {
	const spec: Record<string, unknown> = {};
	for (const field of TASK_SPEC_FIELDS) {
		const value = task[field];
		if (value !== undefined) spec[field] = Array.isArray(value) ? [...(value as unknown[])] : value;
	}
	return spec as TaskSpec;
}

/** Reads a spec from untrusted input; throws InvalidInputError naming the first bad field and what is accepted. */
export function parseTaskSpec(input: unknown): TaskSpec {
	const parsed = taskSpecSchema.safeParse(input, {reportInput: true});
	if (parsed.success) return parsed.data;
	throw new InvalidInputError(describeIssue(parsed.error.issues[0]!));
}

const FIELD_LABELS: Partial<Record<TaskSpecField, string>> = {
	mode: 'worker mode',
	permissionMode: 'permission mode',
	mergeStrategy: 'merge strategy',
	base: 'base branch',
	verify: 'verify command',
	timeoutMs: 'timeout',
	maxOutputBytes: 'output cap',
	maxBudgetUsd: 'budget',
};

/** What a numeric (or otherwise shaped) field accepts, for the message when it gets something else. */
const NUMBER_RULES: Partial<Record<TaskSpecField, string>> = {
	timeoutMs: `a positive number of milliseconds, at most ${MAX_TIMEOUT_MS} (7 days)`,
	maxOutputBytes: `a positive whole number of bytes, at most ${MAX_OUTPUT_CAP_BYTES} (1 GiB)`,
	maxBudgetUsd: `a positive amount in USD, at most ${MAX_TASK_BUDGET_USD}`,
	base: 'a branch name such as "main" (no spaces, no "..", not starting with "-")',
	host: 'a host id: 1–63 letters, digits, dots, dashes or underscores, starting with a letter or digit',
	label: 'a host label: 1–63 letters, digits, dots, dashes or underscores, starting with a letter or digit (e.g. "big-ram")',
};

/** One sentence for a person: which field, what was wrong, what would be accepted. */
function describeIssue(issue: z.core.$ZodIssue): string {
	const field = String(issue.path[0] ?? '');
	const label = FIELD_LABELS[field as TaskSpecField] ?? field;
	const rule = NUMBER_RULES[field as TaskSpecField];
	if (rule) return `The ${label} must be ${rule}, got ${JSON.stringify(issue.input)}.`;
	// Only the kinds of issue a spec's fields can raise get their own sentence; zod's own message serves the rest.
	if (issue.code === 'invalid_value') return `Unknown ${label} ${JSON.stringify(issue.input)}; use one of ${issue.values.map(String).join(', ')}.`;
	if (issue.code === 'unrecognized_keys') return unknownFieldsMessage(issue.keys, TASK_SPEC_FIELDS);
	if (issue.code === 'custom' && (field === 'allow' || field === 'deny')) return `${field}[${String(issue.path[1])}]: ${issue.message}`;
	if (issue.code === 'too_small' && field === 'prompt') return 'The prompt is empty. Give the task something to do.';
	if (issue.code === 'too_big' && field === 'prompt') return `The prompt is too long; at most ${MAX_PROMPT_CHARS} characters are accepted.`;
	return `${label || 'The task'}: ${issue.message}.`;
}
