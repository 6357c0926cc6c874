export * from './credential-vault.js';
export * from './credential-switch.js';
export * from './drift.js';
export * from './lifecycle-problems.js';
export * from './lifecycle-recorder.js';
export * from './lifecycle-requests.service.js';
export * from './lifecycle-sweeps.js';
export * from './refresh-discovery.use-case.js';
export * from './verify-client.use-case.js';
export * from './update-client.use-case.js';
export * from './rotate-secret.use-case.js';
export * from './delete-client.use-case.js';

import { CredentialSwitch } from './credential-switch.js';
import { RegistrationCredentialVault } from './credential-vault.js';
import { DeleteClientUseCase } from './delete-client.use-case.js';
import { LifecycleRecorder } from './lifecycle-recorder.js';
import { LifecycleRequests } from './lifecycle-requests.service.js';
import { LifecycleSweeps } from './lifecycle-sweeps.js';
import { RefreshDiscoveryUseCase } from './refresh-discovery.use-case.js';
import { RotateSecretUseCase } from './rotate-secret.use-case.js';
import { UpdateClientUseCase } from './update-client.use-case.js';
import { UsabilityCheck } from '../engine/usability-check.js';
import { VerifyClientUseCase } from './verify-client.use-case.js';

/** Providers of the lifecycle, for CoreModule. */
export const lifecycleProviders = [
  RegistrationCredentialVault,
  LifecycleRecorder,
  UsabilityCheck,
  CredentialSwitch,
  VerifyClientUseCase,
  UpdateClientUseCase,
  RotateSecretUseCase,
  DeleteClientUseCase,
  LifecycleSweeps,
  RefreshDiscoveryUseCase,
  LifecycleRequests,
];
