/**
 * The services and their HTTP port offsets (port = ASSAY_PORT_BASE + offset when ASSAY_<SERVICE>_PORT is unset), in
 * the order `assay up` starts them. No schema here, so what needs only names and ports (`assay status`, the config)
 * loads it without the registry's schemas (`@assay/contracts/services`). Each service's contract takes its offset
 * from here, and the registry checks that it registers exactly these services, in this order.
 */
export const SERVICE_PORT_OFFSETS = {
  generation: 1,
  likelihood: 2,
  'guide-training': 3,
  certifier: 4,
  auditor: 5,
  calibrator: 6,
  'reward-head': 8,
  rectifier: 7,
  gateway: 9,
} as const;

export type ServiceName = keyof typeof SERVICE_PORT_OFFSETS;
/** Every service, in the order `assay up` starts them. */
export const SERVICES = Object.keys(SERVICE_PORT_OFFSETS) as ServiceName[];
/** HTTP port offsets (ASSAY_PORT_BASE + offset), unique. */
export const PORT_OFFSETS: Record<ServiceName, number> = SERVICE_PORT_OFFSETS;
if (new Set(Object.values(PORT_OFFSETS)).size !== SERVICES.length) throw new Error('services: two services share a port offset');
