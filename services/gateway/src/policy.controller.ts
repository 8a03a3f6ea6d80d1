import { Body, Controller, Param } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { PolicySpec } from '@assay/contracts';
import { AnswersSubject, ServesRoute } from '@assay/platform';
import { PolicyService } from './policy.service';

@Controller()
export class PolicyController {
  constructor(private readonly policies: PolicyService) {}

  @AnswersSubject('assay.gateway.create')
  createMessage(@Payload() spec: PolicySpec) {
    return this.policies.create(spec);
  }

  @AnswersSubject('assay.gateway.get')
  getMessage(@Payload() request: { ref: string }) {
    return this.policies.get(request.ref);
  }

  @AnswersSubject('assay.gateway.list')
  listMessage(@Payload() request: { name?: string }) {
    return this.policies.list(request.name);
  }

  @AnswersSubject('assay.gateway.delete')
  deleteMessage(@Payload() request: { name: string }) {
    return this.policies.delete(request.name);
  }

  @ServesRoute('createPolicy')
  create(@Body() spec: PolicySpec) {
    return this.policies.create(spec);
  }

  @ServesRoute('listPolicies')
  list() {
    return this.policies.list();
  }

  @ServesRoute('getPolicy')
  get(@Param('ref') ref: string) {
    return this.policies.get(ref);
  }

  @ServesRoute('deletePolicy')
  delete(@Param('name') name: string) {
    return this.policies.delete(name);
  }
}
