import { Body, Controller, Param } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { DatasetRequest } from '@assay/contracts';
import { AnswersSubject, ServesRoute } from '@assay/platform';
import { DatasetService } from './dataset.service';

@Controller()
export class DatasetController {
  constructor(private readonly datasets: DatasetService) {}

  @AnswersSubject('assay.calibrator.dataset')
  datasetMessage(@Payload() request: DatasetRequest) {
    return this.datasets.submit(request);
  }

  @ServesRoute('submitCalibrationDataset')
  dataset(@Body() request: DatasetRequest) {
    return this.datasets.submit(request);
  }

  @ServesRoute('getCalibrationDataset')
  status(@Param('id') id: string) {
    return this.datasets.status(id);
  }
}
