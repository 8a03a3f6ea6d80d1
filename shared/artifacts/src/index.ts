export { ArtifactError, ConflictError, IntegrityError, InvalidKeyError, NotFoundError, UnavailableError, UntrustedArtifactError } from './errors';
export { ArtifactSigner, canonicalJson, signingKeyId, SIGNATURE_HEADER } from './signing';
export type { ManifestSignature } from './signing';
export { verifySigV4 } from './sigv4';
export type { SignedRequest, SigV4Verdict } from './sigv4';
export {
  MAX_KEY_BYTES,
  assertValidKey,
  assertValidName,
  assertValidPrefix,
  isValidName,
  joinKey,
  keyProblem,
  prefixProblem,
} from './keys';
export { sha256File, sha256Hex } from './integrity';
export { ObjectStore } from './object-store';
export type { ListResult, ListedObject, ObjectInfo, ObjectStoreConfig, PutOptions, PutResult } from './object-store';
export { startEmbeddedS3 } from './embedded-s3';
export type { EmbeddedS3, EmbeddedS3Options } from './embedded-s3';
export { LocalArtifactCache } from './cache';
export type { ExpectedContent } from './cache';
export {
  CONVENTIONAL_MODEL_FILES,
  LATEST,
  MANIFEST_FILE,
  MODELS_PREFIX,
  ModelManifestSchema,
  ProvenanceSchema,
  REQUIRED_MODEL_FILES,
  isModelGraphFile,
  compareVersions,
  manifestKey,
  timestampVersion,
  versionPrefix,
} from './manifest';
export type { ModelFile, ModelManifest, Provenance, ProvenanceKind } from './manifest';
export { ModelRegistry } from './model-registry';
export type { RegistryOptions } from './model-registry';
export type { ModelSummary, ModelVersionRef, PushOptions, ResolvedModel } from './model-registry';
