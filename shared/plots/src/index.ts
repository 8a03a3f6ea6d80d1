export * from './svg-chart';
export * from './html-report';
