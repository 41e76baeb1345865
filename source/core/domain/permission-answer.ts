import type {PolicyLevelName} from './permission-policy.js';

/** Who answered a permission question: a rule, a person or the main session, or the ask timeout. */
export const ANSWERERS = ['rule', 'person', 'timeout'] as const;
export type Answerer = (typeof ANSWERERS)[number];

/** One answered permission question in a task's history. */
export type AnsweredQuestion = {
	at: number;
	toolName: string;
	/** The call in one line, as the question showed it. */
	summary: string;
	answer: 'allow' | 'deny';
	by: Answerer;
	/** The rule that answered, with where it came from (`by: rule`). */
	rule?: {text: string; level: PolicyLevelName; source: string};
	/** What the worker was told when it was denied. */
	message?: string;
};

/** A task keeps its latest answers; older ones are in its log. */
export const ANSWER_HISTORY_LIMIT = 50;

export function withAnswer(history: readonly AnsweredQuestion[] | undefined, answer: AnsweredQuestion): AnsweredQuestion[] {
	return [...(history ?? []), answer].slice(-ANSWER_HISTORY_LIMIT);
}
