import type pg from 'pg';
import {isTerminal, type Task, type TaskStatus} from '../../core/domain/task.js';
import type {Logger} from '../../core/ports/logger.js';
import type {FleetHost, TakenOver, TaskCoordinator} from '../../core/ports/task-coordinator.js';
import {ChangeFeed} from './change-feed.js';
import {openPool} from './connection.js';
import {holdHostIdentity} from './host-identity.js';
import {migrate} from './migrations.js';
import {MirroredTaskStore} from './mirrored-task-store.js';
import {DEFAULT_LEASE_MS, TaskClaims} from './task-claims.js';
import {TaskCommands} from './task-commands.js';

/**
 * The core's TaskCoordinator on PostgreSQL: claims through TaskClaims, and tasks it claims go into this host's mirror
 * before the core writes them (a claim can come back before the mirror heard of the task's insert: race 1 of the
 * design note). New work is heard from the mirror's change notifications: a task nobody holds that is queued (a
 * submit, a takeover) or one that ended (its dependents may run now, or are doomed).
 */
export class PostgresTaskCoordinator implements TaskCoordinator {
	readonly #claims: TaskClaims;
	readonly #store: MirroredTaskStore;
	readonly #work = new Set<() => void>();
	readonly #lost = new Set<(taskId: string, holder: string | undefined) => void>();

	constructor(claims: TaskClaims, store: MirroredTaskStore) {
		this.#claims = claims;
		this.#store = store;
	}

	get hostId(): string {
		return this.#claims.hostId;
	}

	get leaseMs(): number {
		return this.#claims.leaseMs;
	}

	async claim(max: number): Promise<Task[]> {
		// This host's own submits first reach the database, so that it can claim them without waiting for the next wake.
		await this.#store.flush();
		return this.#adopted(await this.#claims.claim(max));
	}

	async claimDoomed(max: number): Promise<Task[]> {
		return this.#adopted(await this.#claims.claimDoomed(max));
	}

	heartbeat(): Promise<string[]> {
		return this.#claims.heartbeat();
	}

	reclaimExpired(): Promise<unknown[]> {
		return this.#claims.reclaimExpired();
	}

	release(ids?: readonly string[]): Promise<unknown[]> {
		return this.#claims.release(ids);
	}

	held(): Promise<string[]> {
		return this.#claims.held();
	}

	takenOver(taskId: string): TakenOver | undefined {
		return this.#claims.takenOver(taskId);
	}

	holder(taskId: string): string | undefined {
		return this.#store.holder(taskId);
	}

	hosts(): Promise<FleetHost[]> {
		return this.#claims.hosts();
	}

	onWork(listener: () => void): () => void {
		this.#work.add(listener);
		return () => this.#work.delete(listener);
	}

	onLost(listener: (taskId: string, holder: string | undefined) => void): () => void {
		this.#lost.add(listener);
		return () => this.#lost.delete(listener);
	}

	/** The mirror heard of another host's change: work may be claimable now. */
	noteChange(task: Task, holder: string | undefined): void {
		if ((task.status === 'queued' && holder === undefined) || isTerminal(task.status)) for (const listener of this.#work) listener();
	}

	/** The mirror's write was fenced out: another host holds the task. */
	noteLost(taskId: string, holder: string | undefined): void {
		for (const listener of this.#lost) listener(taskId, holder);
	}

	#adopted(tasks: Task[]): Task[] {
		this.#store.adopt(tasks);
		return tasks;
	}
}

/**
 * `pool` and `changes` (this host's one listening session): for the other shared stores of this host (schedules);
 * both ended by `close()`, last. `commands`: changes to tasks other hosts hold, and every host's questions (the core's RemoteControl).
 */
export type SharedTasks = {
	store: MirroredTaskStore;
	coordinator: PostgresTaskCoordinator;
	pool: pg.Pool;
	changes: ChangeFeed;
	commands: TaskCommands;
	close(): Promise<void>;
};

export type SharedTasksOptions = {
	hostId: string;
	labels?: readonly string[];
	leaseMs?: number;
	logger: Logger;
	/** Another host changed a task: the core announces it (Fleet.remoteChanged). */
	onRemoteChange(task: Task, previous: TaskStatus | undefined, holder: string | undefined): void;
};

/**
 * Opens what a host of a shared fleet needs: a pool (checked), the schema (migrated), the task mirror and the claims.
 * `close()` (after the fleet stopped) waits a few seconds for the writes still queued, marks this host stopped and
 * closes the pool.
 */
export async function openSharedTasks(url: string, options: SharedTasksOptions): Promise<SharedTasks> {
	const {logger} = options;
	const pool = await openPool(url, {applicationName: `ccfleet ${options.hostId}`});
	// One LISTEN session for every channel this host hears (tasks, schedules, commands), not one per listener.
	const changes = new ChangeFeed(url, {
		applicationName: `ccfleet listener ${options.hostId}`,
		// Two daemons under one host id would take each other's tasks for their own: the second is refused at its start.
		prepareSession: holdHostIdentity(options.hostId, options.leaseMs ?? DEFAULT_LEASE_MS, message => logger.warn(message)),
		onError: error => logger.warn('the shared change listener dropped or could not reconnect; it keeps trying, then every mirror reads again', {error: String(error)}),
	});
	try {
		await migrate(pool);
		await changes.start();
		const late: {coordinator?: PostgresTaskCoordinator} = {};
		const store = await MirroredTaskStore.open(pool, changes, {
			hostId: options.hostId,
			onRemoteChange: (task, previous, holder) => {
				options.onRemoteChange(task, previous, holder);
				late.coordinator?.noteChange(task, holder);
			},
			onLost: (taskId, holder) => late.coordinator?.noteLost(taskId, holder),
			onError: (message, cause) => logger.warn(message, {error: String(cause)}),
		});
		// Old finished tasks stay in the database, read back when named (the mirror's window, mirror-window.ts).
		logger.info('shared tasks loaded', store.sizes());
		const claims = new TaskClaims(pool, {
			hostId: options.hostId,
			...(options.labels ? {labels: options.labels} : {}),
			...(options.leaseMs ? {leaseMs: options.leaseMs} : {}),
		});
		const coordinator = new PostgresTaskCoordinator(claims, store);
		late.coordinator = coordinator;
		const commands = await TaskCommands.open(pool, changes, {
			hostId: options.hostId,
			leaseMs: claims.leaseMs,
			changeFree: task => store.changeFree(task),
			onError: (message, cause) => logger.warn(message, {error: String(cause)}),
		}).catch(async (error: unknown) => {
			store.close();
			await store.closed(0);
			throw error;
		});
		return {
			store,
			coordinator,
			pool,
			changes,
			commands,
			close: async () => {
				await commands.close();
				store.close();
				const unwritten = await store.closed();
				if (unwritten.length > 0) {
					logger.error('stopped with task changes the shared database never took; the database keeps their earlier state', {tasks: unwritten.map(task => task.id)});
				}
				await claims.stop().catch((error: unknown) => logger.warn('could not mark this host stopped in the shared database', {error: String(error)}));
				await changes.stop();
				await pool.end();
			},
		};
	} catch (error) {
		await changes.stop();
		await pool.end().catch(() => {});
		throw error;
	}
}
