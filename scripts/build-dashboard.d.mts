/** Types of build-dashboard.mjs, for the tests that build the front end before they load it. */
export function buildDashboard(options?: { force?: boolean }): Promise<{ built: boolean; out: string }>;
