export * from './genai';
export * from './tracing';
export * from './sdk';
export * from './logger';
