export { OverloadGuard, type OverloadCounts, type OverloadLogger, type OverloadOptions } from './overload.js';
