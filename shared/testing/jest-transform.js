// Jest transform of the monorepo: @swc/jest, plus one line in front of every module.
// Jest runs each test file in its own vm context, where every read of a global (`Math.tanh` in a hot loop of the
// witness training, `Number.isFinite` in the simulations) goes through the context's global proxy and costs about
// ten times a module binding: the betting tests ran 4–5× slower. Binding those globals to module scope here keeps
// the workaround in the test runner, and production code plain (`Math.tanh`). Prepended on the first line, so
// source-map line numbers do not move.
const swcJest = require('@swc/jest');

const PRELUDE = 'const Math = globalThis.Math, Number = globalThis.Number; ';

module.exports = {
  createTransformer(options) {
    const swc = swcJest.createTransformer(options);
    return {
      ...swc,
      process: (source, filename, jestOptions) => swc.process(PRELUDE + source, filename, jestOptions),
      processAsync: (source, filename, jestOptions) => swc.processAsync(PRELUDE + source, filename, jestOptions),
      getCacheKey: (source, filename, jestOptions) => swc.getCacheKey(PRELUDE + source, filename, jestOptions),
    };
  },
};
