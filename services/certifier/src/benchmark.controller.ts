import { Body, Controller, Param } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { CertifyBenchRequest } from '@assay/contracts';
import { AnswersSubject, ServesRoute } from '@assay/platform';
import { BenchmarkService } from './benchmark.service';

@Controller()
export class BenchmarkController {
  constructor(private readonly benchmarks: BenchmarkService) {}

  @AnswersSubject('assay.certifier.benchmark')
  benchmarkMessage(@Payload() request: CertifyBenchRequest) {
    return this.benchmarks.submit(request);
  }

  @ServesRoute('submitBenchmark')
  benchmark(@Body() request: CertifyBenchRequest) {
    return this.benchmarks.submit(request);
  }

  @ServesRoute('getBenchmark')
  benchmarkStatus(@Param('id') id: string) {
    return this.benchmarks.status(id);
  }
}
