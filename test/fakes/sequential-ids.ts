import type {IdSource} from '../../source/core/ports/ids.js';

export class SequentialIds implements IdSource {
	#n = 0;
	#s = 0;

	taskId(): string {
		return `t${++this.#n}`;
	}

	sessionId(): string {
		return `00000000-0000-4000-8000-${String(++this.#s).padStart(12, '0')}`;
	}
}
