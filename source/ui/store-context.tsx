import {createContext, useContext, type ReactNode} from 'react';
import {useStore} from 'zustand';
import type {DashboardState, DashboardStore} from './store.js';

const StoreContext = createContext<DashboardStore | undefined>(undefined);

export function StoreProvider({store, children}: {store: DashboardStore; children: ReactNode}) {
	return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

/**
 * A slice of the dashboard state; the component re-renders only when the slice changes (by `Object.is`). Select the
 * smallest slice, and never build a new array or object in the selector: it would change on every store update.
 */
export function useDashboard<T>(selector: (state: DashboardState) => T): T {
	const store = useContext(StoreContext);
	if (!store) throw new Error('useDashboard needs a <StoreProvider> above it.');
	return useStore(store, selector);
}
