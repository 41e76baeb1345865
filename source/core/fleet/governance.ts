import {messageOf} from '../domain/errors.js';
import {parseFleetSettingsChange, type FleetSettings} from '../domain/fleet-settings.js';
import type {WorkerMode} from '../domain/task.js';
import type {FleetEvents} from '../events.js';
import type {Clock} from '../ports/clock.js';
import type {Logger} from '../ports/logger.js';
import type {SharedGovernance} from '../ports/shared-governance.js';
import type {SystemMonitor} from '../ports/system-monitor.js';
import type {TaskStore} from '../ports/task-store.js';
import type {UsageLimitReport} from '../ports/worker-driver.js';
import type {AdmissionPolicy, AdmissionVerdict} from './admission.js';
import {dailyBudgetPolicy} from './budget-policy.js';
import type {FleetOptions} from './options.js';
import {ResourceGauge, type ResourceView} from './resource-gauge.js';
import {UsageLimit, type UsageLimitView} from './usage-limit.js';

/** A read of the usage limit other hosts noted that failed is tried again this often, until one succeeds. */
const SHARED_RETRY_MS = 2_000;

export type AdmissionState = ResourceView &
	FleetSettings & {
		/** USD spent by tasks started since local midnight (what the daily budget counts). */
		spentTodayUsd: number;
		/** How many more workers of the next task's mode the machine's memory could carry now. */
		roomFor?: number;
		/** Why the next queued task does not start now, when it does not. */
		heldBy?: string;
		/** The policy that holds it: ceiling, stagger, backoff, usage limit, cpu, memory, daily budget. */
		heldByPolicy?: string;
	};

/**
 * What governs the fleet beyond its ceiling: the machine's CPU and memory (measured, off every request's path), the
 * account's usage limit, and the daily budget; and the settings that may change while it runs. It gives admission
 * its policies and answers how admission stands.
 */
export class Governance {
	readonly gauge: ResourceGauge;
	readonly usage: UsageLimit;
	readonly #budget: ReturnType<typeof dailyBudgetPolicy>;
	readonly #options: FleetOptions;
	readonly #clock: Clock;
	readonly #system: SystemMonitor;
	readonly #logger: Logger;
	#cancelWatch: (() => void) | undefined;
	readonly #shared: SharedGovernance | undefined;
	#stopHearing: (() => void) | undefined;
	/** A read of the shared limit is under way; another change heard meanwhile makes it read once more after. */
	#isReading = false;
	#mustReadAgain = false;
	#cancelRetry: (() => void) | undefined;
	/** The shared database could not be read at the last try (said once, not at every try). */
	#sharedFailing = false;
	#isStopped = false;
	readonly #onHeld: ((held: FleetEvents['fleet:held']) => void) | undefined;
	/** The announced policies that hold the fleet now. */
	readonly #holding = new Set<string>();

	/** `options` is the fleet's own object: configure() changes it in place, where admission and the supervisor read it. */
	constructor(ports: {
		options: FleetOptions;
		clock: Clock;
		store: TaskStore;
		system: SystemMonitor;
		logger: Logger;
		shared?: SharedGovernance;
		onHeld?: (held: FleetEvents['fleet:held']) => void;
	}) {
		const {options, clock, store} = ports;
		this.#shared = ports.shared;
		this.#onHeld = ports.onHeld;
		this.#options = options;
		this.#clock = clock;
		this.#system = ports.system;
		this.#logger = ports.logger;
		this.gauge = new ResourceGauge(options.resources);
		this.usage = new UsageLimit(clock);
		this.#budget = dailyBudgetPolicy(clock, {
			get dailyBudgetUsd() {
				return options.dailyBudgetUsd;
			},
			spentSince: since => store.totalCostUsd(since),
		});
	}

	/** The usage limit first (it holds everything), then CPU and memory, then the budget. */
	policies(): AdmissionPolicy[] {
		return [this.#announced(this.usage.policy(), () => this.usage.limitedUntil() !== undefined), ...this.gauge.policies(), this.#announced(this.#budget.policy)];
	}

	/**
	 * The policy, telling onHeld when it begins to hold the fleet. `isHold` tells a hold worth telling from a pause
	 * (the ramp after a usage limit's reset, the spacing while it is near).
	 */
	#announced(policy: AdmissionPolicy, isHold: () => boolean = () => true): AdmissionPolicy {
		return {
			...policy,
			check: context => {
				const verdict = policy.check(context);
				if (verdict.admit || !isHold()) this.#holding.delete(policy.name);
				else if (!this.#holding.has(policy.name)) {
					this.#holding.add(policy.name);
					this.#onHeld?.({policy: policy.name, reason: verdict.reason, ...(verdict.until === undefined ? {} : {until: verdict.until})});
				}
				return verdict;
			},
		};
	}

	/** A task changed: its cost may have, so the next budget check reads the store again. */
	noteTaskChanged(): void {
		this.#budget.invalidate();
	}

	noteStarted(taskId: string, mode: WorkerMode): void {
		this.gauge.noteStarted(taskId, mode, this.#clock.now());
		this.usage.noteStarted();
	}

	noteEnded(taskId: string, usageLimit: UsageLimitReport | undefined): void {
		this.gauge.noteEnded(taskId);
		if (usageLimit) this.noteUsageLimit(usageLimit);
	}

	/** A worker here reported on the usage limit; returns its reset when it is reached. Every other host sharing the fleet learns it. */
	noteUsageLimit(report: UsageLimitReport): number | undefined {
		const until = this.usage.note(report);
		if (until !== undefined && this.#shared) {
			this.#shared.noteUsageLimit(until, report.kind).catch((error: unknown) => {
				this.#logger.warn('could not tell the other hosts that the usage limit is reached; they learn it when their own workers meet it', {
					error: messageOf(error),
				});
			});
		}
		return until;
	}

	/**
	 * With several hosts: reads the usage limit any host noted; true when it holds this host's starts longer than it
	 * knew. A failed read is said once (not at every try) and changes nothing.
	 */
	async readShared(): Promise<boolean> {
		if (!this.#shared) return false;
		try {
			const limit = await this.#shared.usageLimit();
			if (this.#sharedFailing) this.#logger.info('the usage limit other hosts noted can be read again');
			this.#sharedFailing = false;
			if (!limit || !this.usage.hear(limit)) return false;
			this.#logger.warn('another host met the usage limit; new workers here wait for its reset', {
				...(limit.notedBy ? {host: limit.notedBy} : {}),
				resetsAt: new Date(limit.until).toISOString(),
			});
			return true;
		} catch (error) {
			if (!this.#sharedFailing) this.#logger.warn('could not read the usage limit other hosts noted; tries again', {error: messageOf(error)});
			this.#sharedFailing = true;
			return false;
		}
	}

	/**
	 * With several hosts: readShared() whenever the shared limit may have changed (SharedGovernance.onChange), one read
	 * at a time, calling `onHeld` when it holds this host longer, until stop(). A failed read is tried again every
	 * SHARED_RETRY_MS until one succeeds.
	 */
	watchShared(onHeld: () => void): void {
		if (!this.#shared || this.#isStopped || this.#stopHearing) return;
		this.#stopHearing = this.#shared.onChange(() => this.#readWhenTold(onHeld));
	}

	#readWhenTold(onHeld: () => void): void {
		if (this.#isStopped) return;
		if (this.#isReading) {
			this.#mustReadAgain = true;
			return;
		}
		this.#isReading = true;
		this.#cancelRetry?.();
		this.#cancelRetry = undefined;
		void this.readShared().then(held => {
			this.#isReading = false;
			if (this.#isStopped) return;
			if (held) onHeld();
			if (this.#mustReadAgain) {
				this.#mustReadAgain = false;
				this.#readWhenTold(onHeld);
			} else if (this.#sharedFailing) {
				this.#cancelRetry = this.#clock.setTimeout(() => {
					this.#cancelRetry = undefined;
					this.#readWhenTold(onHeld);
				}, SHARED_RETRY_MS);
			}
		});
	}

	/** The knobs in force: the ceiling, the CPU threshold, the memory reserve, the recycling size, the daily budget. */
	settings(): FleetSettings {
		const {maxWorkers, resources, workerMaxRssBytes, dailyBudgetUsd} = this.#options;
		return {
			...(maxWorkers === undefined ? {} : {maxWorkers}),
			cpuThresholdPercent: resources.cpuThresholdPercent,
			memoryReserveBytes: resources.memoryReserveBytes,
			workerMaxRssBytes,
			...(dailyBudgetUsd === undefined ? {} : {dailyBudgetUsd}),
		};
	}

	/** Changes knobs; `null` removes the ceiling or the budget. Throws InvalidInputError, changing nothing, for a value out of range. */
	configure(input: unknown): FleetSettings {
		const change = parseFleetSettingsChange(input);
		const options = this.#options;
		if (change.maxWorkers !== undefined) options.maxWorkers = change.maxWorkers ?? undefined;
		if (change.cpuThresholdPercent !== undefined) options.resources.cpuThresholdPercent = change.cpuThresholdPercent;
		if (change.memoryReserveBytes !== undefined) options.resources.memoryReserveBytes = change.memoryReserveBytes;
		if (change.workerMaxRssBytes !== undefined) options.workerMaxRssBytes = change.workerMaxRssBytes;
		if (change.dailyBudgetUsd !== undefined) options.dailyBudgetUsd = change.dailyBudgetUsd ?? undefined;
		this.#logger.info('fleet settings changed', {...change});
		return this.settings();
	}

	/** How admission stands, given the verdict for the next queued task (none when nothing waits). */
	state(nextMode: WorkerMode | undefined, verdict: AdmissionVerdict | undefined): AdmissionState {
		const now = this.#clock.now();
		const room = this.gauge.roomFor(nextMode ?? this.#options.defaults.mode, now);
		return {
			...this.settings(),
			spentTodayUsd: this.#budget.spentToday(),
			...this.gauge.view(now),
			...(room === undefined ? {} : {roomFor: room}),
			...(verdict && !verdict.admit ? {heldBy: verdict.reason, ...(verdict.policy ? {heldByPolicy: verdict.policy} : {})} : {}),
		};
	}

	usageLimit(): UsageLimitView | undefined {
		return this.usage.view();
	}

	/** Samples the machine's CPU and memory now. */
	async sample(): Promise<void> {
		try {
			this.gauge.noteSystem(await this.#system.sample());
		} catch (error) {
			this.#logger.warn("could not sample the machine's CPU and memory", {error: messageOf(error)});
		}
	}

	/**
	 * Samples the machine on a timer while `isBusy` (tasks wait or workers run), and calls `onSample` after each, so that
	 * a start held for resources goes as soon as they are there. An idle fleet keeps no timer. Call again after every
	 * change that may make it busy.
	 */
	watch(isBusy: boolean, onSample: () => void): void {
		if (this.#cancelWatch || this.#isStopped || !isBusy) return;
		this.#cancelWatch = this.#clock.setTimeout(() => {
			void this.sample().finally(() => {
				this.#cancelWatch = undefined;
				onSample();
			});
		}, this.#options.systemSampleMs);
	}

	stop(): void {
		this.#isStopped = true;
		this.#cancelWatch?.();
		this.#cancelWatch = undefined;
		this.#stopHearing?.();
		this.#stopHearing = undefined;
		this.#cancelRetry?.();
		this.#cancelRetry = undefined;
	}
}
