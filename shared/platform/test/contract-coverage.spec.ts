import { Controller, Module } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ScoreRequest } from '@assay/contracts';
import { PlatformHarness } from '@assay/testing';
import { AnswersSubject, PlatformModule, ServesRoute } from '../src';

const reply = { model: 'm', version: '1', results: [], usage: { inputTokens: 0, outputTokens: 0 } };

@Controller()
class PartialScoreController {
  @AnswersSubject('assay.likelihood.score')
  score(@Payload() _request: ScoreRequest) {
    return reply;
  }

  // Another service's route, served here by mistake.
  @ServesRoute('getAudit')
  audit() {
    return {};
  }
}

@Module({ imports: [PlatformModule.forRoot({ service: 'likelihood' })], controllers: [PartialScoreController] })
class DriftedLikelihoodModule {}

@Controller()
class FullScoreController {
  @AnswersSubject('assay.likelihood.score')
  scoreMessage(@Payload() _request: ScoreRequest) {
    return reply;
  }

  @ServesRoute('score')
  score() {
    return reply;
  }
}

@Module({ imports: [PlatformModule.forRoot({ service: 'likelihood' })], controllers: [FullScoreController] })
class LikelihoodContractModule {}

/** Boot fails unless a service serves exactly its registry contracts (real NATS and S3 server behind the platform). */
describe('contract coverage at boot', () => {
  const harness = new PlatformHarness('contract-coverage');
  beforeAll(() => harness.start(), 60_000);
  afterAll(() => harness.close());

  it('refuses to start a service that drifted from its contracts, naming what is missing or foreign', async () => {
    await expect(harness.startService(DriftedLikelihoodModule, 'likelihood')).rejects.toThrow(
      /service likelihood does not match its contracts.*route score is served 0 times.*route getAudit is not declared for this service/,
    );
  });

  it('starts a service that serves exactly its subjects (health included) and routes, and answers through the registry', async () => {
    await harness.startService(LikelihoodContractModule, 'likelihood');
    const health = await harness.rpc.call('assay.likelihood.health', {});
    expect(health).toMatchObject({ service: 'likelihood', status: 'ok' });
    await expect(harness.rpc.call('assay.likelihood.score', { model: 'm', items: [{ continuation: ' x' }] })).resolves.toEqual(reply);
  });
});
