/** `src/routing`: the declarative dialplan engine (DESIGN.md row `routing/`). */
export { Dialplan, DEFAULT_DIALPLAN_DIR, NO_MATCH_RULE, rewriteUser } from './dialplan.js';
export { DialplanError } from './errors.js';
export type { MediaPolicy, RouteDecision, RouteRequest, TrunkConfig } from './types.js';
