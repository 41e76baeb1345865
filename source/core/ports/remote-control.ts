import type {CancelRequest, Priority, Task} from '../domain/task.js';
import type {PermissionDecision, PermissionQuestion} from './worker-driver.js';

/** How a person answers a question; `always` keeps a rule for next time, for the task or its project. */
export type RemoteAnswer = {decision: PermissionDecision; always?: 'task' | 'project'};

/**
 * A change to a task that only the host holding it may make, sent to that host (it carries it out through its own
 * Fleet API, so every rule, event and log line is the usual one). `answer-matching` goes to every host with questions.
 */
export type RemoteCommand = (
	| ({kind: 'cancel'; taskId: string} & CancelRequest)
	| {kind: 'reprioritise'; taskId: string; priority: Priority}
	| {kind: 'depend'; taskId: string; dependsOn: string[]}
	| ({kind: 'answer'; taskId: string} & RemoteAnswer)
	| ({kind: 'answer-matching'; rule: string} & RemoteAnswer)
) & {/** The host that sent it, named in the task's log there. */ from?: string};

/**
 * What the holder made of a command: the tasks it changed as it left them, or its refusal. `notHeld`: it no longer
 * holds the task (`heldBy` does, when it knows), so the sender tries again where the task went.
 */
export type CommandOutcome = {ok: true; tasks: Task[]} | {ok: false; message: string; notHeld?: true; heldBy?: string};

/** A permission question waiting on some host of the fleet, with the last lines its worker wrote before it. */
export type HostQuestion = {host: string; taskId: string; question: PermissionQuestion; askedAt: number; context: string[]};

/**
 * Control of any task from any host of a shared fleet (docs/research/multi-host-store.md §4.7). Without it (one host,
 * SQLite) every task is this host's own and nothing here is needed.
 */
export type RemoteControl = {
	/**
	 * Sends a command to `host` and resolves with its outcome. Rejects (FleetError saying what to do) when the host does
	 * not answer in time: it may be down, and its tasks then move on when its lease runs out.
	 */
	send(host: string, command: RemoteCommand): Promise<CommandOutcome>;
	/** Writes a change to a queued task no host holds; resolves with the host that claimed it meanwhile (then send it there), else undefined. */
	changeFree(task: Task): Promise<{heldBy: string} | undefined>;
	/** This host carries out the commands sent to it (those waiting since before it started too) with `carryOut`. */
	serve(carryOut: (command: RemoteCommand) => Promise<CommandOutcome>): void;
	/** This host's waiting questions, all of them (replacing what it published before). */
	publishQuestions(questions: readonly HostQuestion[]): void;
	/** Questions waiting on the other hosts, as last heard. */
	questionsElsewhere(): HostQuestion[];
};
