export * from './builtin-preferences';
