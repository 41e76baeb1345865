import {randomBytes, randomUUID} from 'node:crypto';
import type {IdSource} from '../../core/ports/ids.js';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Task ids are 8 characters of [0-9a-z]: short to type, safe as file names, 2^41 of them. */
export const randomIds: IdSource = {
	taskId() {
		const bytes = randomBytes(8);
		let id = '';
		for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length];
		return id;
	},
	sessionId: () => randomUUID(),
};
