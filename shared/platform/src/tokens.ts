/** Injection tokens of the platform module. */
export const ASSAY_CONFIG = Symbol('ASSAY_CONFIG');
export const ASSAY_LOGGER = Symbol('ASSAY_LOGGER');
export const NATS_CONNECTION = Symbol('NATS_CONNECTION');
