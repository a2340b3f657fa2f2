/** `src/registrar`: the local registrar for phones, with far-end NAT bindings (DESIGN.md row `registrar/`). */
export { Registrar, bindingKey } from './registrar.js';
export { RegistrarError, RegistrarErrorCode, RegistrationRefused } from './errors.js';
export type { Binding, RegistrarOptions } from './types.js';
