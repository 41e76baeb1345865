// Every request the mock received, in order, so a test can assert on what claude actually sent.
import type http from 'node:http';

export type MockRequest = {
	method: string;
	url: string;
	headers: http.IncomingHttpHeaders;
	/** Parsed JSON body, or undefined when the body was empty or not JSON. */
	body: unknown;
	receivedAt: number;
	/** Whether the mock treated this as a main-conversation turn (directives applied) or a side request. */
	kind: 'main' | 'side' | 'other';
};

export type RequestLog = {
	/** The live list: tests read it while the mock keeps appending. */
	requests: MockRequest[];
	record(request: MockRequest): void;
	mainRequests: () => MockRequest[];
};

export function createRequestLog(onRequest?: (request: MockRequest) => void): RequestLog {
	const requests: MockRequest[] = [];
	return {
		requests,
		record(request) {
			requests.push(request);
			onRequest?.(request);
		},
		mainRequests: () => requests.filter(request => request.kind === 'main'),
	};
}
