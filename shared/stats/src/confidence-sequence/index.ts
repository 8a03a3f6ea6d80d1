export * from './empirical-bernstein';
