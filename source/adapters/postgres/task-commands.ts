// Control of any task from any host of a shared fleet (docs/research/multi-host-store.md §4.7): commands to the host
// that holds a task, and every host's waiting permission questions, on the shared PostgreSQL.
import type pg from 'pg';
import {FleetError, messageOf} from '../../core/domain/errors.js';
import type {Task} from '../../core/domain/task.js';
import type {CommandOutcome, HostQuestion, RemoteCommand, RemoteControl} from '../../core/ports/remote-control.js';
import type {ChangeFeed} from './change-feed.js';
import {ChangeListener} from './change-listener.js';
import {COMMANDS_CHANNEL} from './schema.js';

/** How long a sender waits for the holder's outcome by default. */
export const COMMAND_TIMEOUT_MS = 10_000;
/** Done commands are kept this long (for a look at who changed what), then deleted when a host starts serving. */
const KEEP_DONE = '7 days';

type Notice = {table: 'task_commands'; id: number; host: string; done: boolean} | {table: 'pending_questions'};
type CommandRow = {id: number; payload: RemoteCommand};
type QuestionRow = {task_id: string; host_id: string; question: HostQuestion['question']; asked_at: number; context: string[]};

export type TaskCommandsOptions = {
	hostId: string;
	/** @default COMMAND_TIMEOUT_MS */
	timeoutMs?: number;
	/** The fleet's lease, named in the timeout's message (a host that is down loses its tasks after it). */
	leaseMs?: number;
	/** A queued task no host holds is changed in the shared store directly (MirroredTaskStore.changeFree). */
	changeFree(task: Task): Promise<{heldBy: string} | undefined>;
	/** A failed read or write in the background, or the listener dropped; for the log. */
	onError?(message: string, cause: unknown): void;
};

/**
 * RemoteControl on PostgreSQL. A sender inserts a command for the holding host and waits for its outcome (announced on
 * COMMANDS_CHANNEL, read again on a reconnect); the holder takes the commands for it one at a time, oldest first (those
 * waiting since before it started too), carries each out and writes the outcome. A sender that gives up marks its
 * command done, unless the holder already took it, so that a host coming back later does not carry out a stale change.
 */
export class TaskCommands implements RemoteControl {
	readonly #pool: pg.Pool;
	readonly #options: TaskCommandsOptions;
	readonly #listener: ChangeListener<Notice>;
	readonly #waiting = new Map<number, () => void>();
	/** Commands of this host's senders announced done (or to look at again) since their sender last read them. */
	readonly #woken = new Set<number>();
	#carryOut: ((command: RemoteCommand) => Promise<CommandOutcome>) | undefined;
	#draining: Promise<void> | undefined;
	#drainAgain = false;
	#others: HostQuestion[] = [];
	#toPublish: readonly HostQuestion[] | undefined;
	#publishing: Promise<void> | undefined;
	#isClosed = false;

	private constructor(pool: pg.Pool, changes: ChangeFeed, options: TaskCommandsOptions) {
		this.#pool = pool;
		this.#options = options;
		this.#listener = new ChangeListener<Notice>(changes, {
			channel: COMMANDS_CHANNEL,
			onChange: notice => this.#heard(notice),
			// Announcements made while the session was down are lost: look again at everything they could have said.
			onReconnect: () => {
				for (const [id, wake] of this.#waiting) {
					this.#woken.add(id);
					wake();
				}
				this.#drain();
				void this.#readQuestions();
			},
			onError: error => this.#report('The command listener', error),
		});
	}

	/**
	 * Listens (before anything is sent, so no outcome is missed) and reads the other hosts' questions. `changes`: the
	 * host's ChangeFeed (one listening session for all its listeners).
	 */
	static async open(pool: pg.Pool, changes: ChangeFeed, options: TaskCommandsOptions): Promise<TaskCommands> {
		const commands = new TaskCommands(pool, changes, options);
		await commands.#listener.start();
		await commands.#readQuestions();
		return commands;
	}

	get hostId(): string {
		return this.#options.hostId;
	}

	async send(host: string, command: RemoteCommand): Promise<CommandOutcome> {
		if (this.#isClosed) throw new FleetError('This host is stopping; send the change from another host, or after it started again.');
		const {rows} = await this.#pool.query<{id: number}>(
			'INSERT INTO task_commands (target_host, task_id, kind, payload, requested_by) VALUES ($1, $2, $3, $4, $5) RETURNING id::double precision AS id',
			[host, 'taskId' in command ? command.taskId : null, command.kind, JSON.stringify(command), this.#options.hostId],
		);
		const id = rows[0]!.id;
		const timeoutMs = this.#options.timeoutMs ?? COMMAND_TIMEOUT_MS;
		const deadline = Date.now() + timeoutMs;
		try {
			this.#waiting.set(id, () => {});
			for (;;) {
				this.#woken.delete(id);
				const outcome = await this.#outcome(id);
				if (outcome) return outcome;
				const left = deadline - Date.now();
				if (left <= 0) break;
				// Announced while the read was on its way: read again.
				if (this.#woken.has(id)) continue;
				await new Promise<void>(resolve => {
					const timer = setTimeout(resolve, left);
					this.#waiting.set(id, () => {
						clearTimeout(timer);
						resolve();
					});
				});
			}
		} finally {
			this.#waiting.delete(id);
			this.#woken.delete(id);
		}
		return this.#giveUp(id, host, timeoutMs);
	}

	changeFree(task: Task): Promise<{heldBy: string} | undefined> {
		return this.#options.changeFree(task);
	}

	serve(carryOut: (command: RemoteCommand) => Promise<CommandOutcome>): void {
		this.#carryOut = carryOut;
		void (async () => {
			try {
				// Taken by an earlier run of this host that ended before it wrote the outcome: taken again now.
				await this.#pool.query('UPDATE task_commands SET taken_at = NULL WHERE target_host = $1 AND done_at IS NULL AND taken_at IS NOT NULL', [this.hostId]);
				await this.#pool.query(`DELETE FROM task_commands WHERE done_at < now() - interval '${KEEP_DONE}'`);
			} catch (error) {
				this.#report('Could not look at the commands left from before', error);
			}
			this.#drain();
		})();
	}

	publishQuestions(questions: readonly HostQuestion[]): void {
		this.#toPublish = questions;
		this.#publishing ??= this.#publishLatest().finally(() => (this.#publishing = undefined));
	}

	questionsElsewhere(): HostQuestion[] {
		return this.#others.map(question => ({...question}));
	}

	/** Stops taking commands and withdraws this host's questions (its workers stop with it); senders waiting give up. */
	async close(): Promise<void> {
		if (this.#isClosed) return;
		this.#isClosed = true;
		this.#carryOut = undefined;
		await this.#listener.stop();
		for (const wake of this.#waiting.values()) wake();
		await this.#publishing;
		await this.#draining;
		await this.#pool
			.query('DELETE FROM pending_questions WHERE host_id = $1', [this.hostId])
			.catch((error: unknown) => this.#report('Could not withdraw the questions', error));
	}

	#heard(notice: Notice): void {
		if (notice.table === 'pending_questions') {
			void this.#readQuestions();
			return;
		}
		if (notice.done && this.#waiting.has(notice.id)) {
			this.#woken.add(notice.id);
			this.#waiting.get(notice.id)!();
		} else if (notice.host === this.hostId) this.#drain();
	}

	async #outcome(id: number): Promise<CommandOutcome | undefined> {
		const {rows} = await this.#pool.query<{outcome: CommandOutcome | null}>('SELECT outcome FROM task_commands WHERE id = $1 AND done_at IS NOT NULL', [id]);
		return rows[0]?.outcome ?? undefined;
	}

	async #giveUp(id: number, host: string, timeoutMs: number): Promise<CommandOutcome> {
		const lease = this.#options.leaseMs === undefined ? '' : `, ${Math.round(this.#options.leaseMs / 1000)} s here`;
		const message =
			`Host ${host} did not answer within ${Math.round(timeoutMs / 1000)} s; if it is down, its tasks move to another host when its lease runs out ` +
			`(CCFLEET_LEASE_MS${lease}). Try again then, or look at host ${host}.`;
		const {rowCount} = await this.#pool.query('UPDATE task_commands SET done_at = now(), outcome = $2 WHERE id = $1 AND taken_at IS NULL AND done_at IS NULL', [
			id,
			JSON.stringify({ok: false, message}),
		]);
		if (rowCount === 1) throw new FleetError(message);
		// Taken meanwhile, or done the moment the wait ended.
		const outcome = await this.#outcome(id);
		if (outcome) return outcome;
		throw new FleetError(`Host ${host} took the change but did not finish it within ${Math.round(timeoutMs / 1000)} s; look at the task again in a moment.`);
	}

	/** Takes the commands waiting for this host, one batch at a time; a notice during a batch takes the next one. */
	#drain(): void {
		if (!this.#carryOut || this.#isClosed) return;
		if (this.#draining) {
			this.#drainAgain = true;
			return;
		}
		this.#draining = (async () => {
			do {
				this.#drainAgain = false;
				try {
					await this.#takeAndCarryOut();
				} catch (error) {
					this.#report('Could not carry out the commands sent to this host', error);
				}
			} while (this.#drainAgain && !this.#isClosed);
		})().finally(() => (this.#draining = undefined));
	}

	async #takeAndCarryOut(): Promise<void> {
		const {rows} = await this.#pool.query<CommandRow>(
			`UPDATE task_commands SET taken_at = now() WHERE id IN (
				SELECT id FROM task_commands WHERE target_host = $1 AND done_at IS NULL AND taken_at IS NULL ORDER BY id FOR UPDATE SKIP LOCKED
			) RETURNING id::double precision AS id, payload`,
			[this.hostId],
		);
		for (const {id, payload} of rows.sort((a, b) => a.id - b.id)) {
			const carryOut = this.#carryOut;
			const outcome: CommandOutcome = carryOut
				? await carryOut(payload).catch((error: unknown) => ({ok: false as const, message: messageOf(error)}))
				: {ok: false, message: `Host ${this.hostId} is stopping; send the change again once the task's new host has it.`};
			await this.#pool.query('UPDATE task_commands SET done_at = now(), outcome = $2 WHERE id = $1', [id, JSON.stringify(outcome)]);
		}
	}

	async #publishLatest(): Promise<void> {
		while (this.#toPublish !== undefined) {
			const questions = this.#toPublish;
			this.#toPublish = undefined;
			const client = await this.#pool.connect().catch((error: unknown) => this.#report('Could not publish the waiting questions', error));
			if (!client) return;
			try {
				await client.query('BEGIN');
				await client.query('DELETE FROM pending_questions WHERE host_id = $1', [this.hostId]);
				if (questions.length > 0) {
					await client.query(
						`INSERT INTO pending_questions (task_id, host_id, question, asked_at, context)
						 SELECT task_id, $1, question, asked_at, context FROM jsonb_to_recordset($2::jsonb) AS q (task_id text, question jsonb, asked_at double precision, context jsonb)
						 ON CONFLICT (task_id) DO UPDATE SET host_id = excluded.host_id, question = excluded.question, asked_at = excluded.asked_at, context = excluded.context`,
						[this.hostId, JSON.stringify(questions.map(q => ({task_id: q.taskId, question: q.question, asked_at: q.askedAt, context: q.context})))],
					);
				}
				await client.query('COMMIT');
			} catch (error) {
				await client.query('ROLLBACK').catch(() => {});
				this.#report('Could not publish the waiting questions', error);
			} finally {
				client.release();
			}
		}
	}

	async #readQuestions(): Promise<void> {
		try {
			// A host that stopped withdrew its questions; one that died keeps them here until it starts again (the core lists
			// only questions whose tasks their host still holds, so they go from the inbox once its lease runs out).
			const {rows} = await this.#pool.query<QuestionRow>(
				'SELECT task_id, host_id, question, asked_at, context FROM pending_questions WHERE host_id <> $1 ORDER BY asked_at',
				[this.hostId],
			);
			this.#others = rows.map(row => ({host: row.host_id, taskId: row.task_id, question: row.question, askedAt: row.asked_at, context: row.context}));
		} catch (error) {
			this.#report("Could not read the other hosts' questions", error);
		}
	}

	#report(what: string, error: unknown): void {
		this.#options.onError?.(`${what}: ${messageOf(error)}`, error);
	}
}
