import { isGrpcServiceError } from '@temporalio/client';

/** gRPC's status code UNAVAILABLE (grpc-js is the SDK's dependency, not ours). */
const GRPC_UNAVAILABLE = 14;

/** True when the Temporal server stopped answering: gRPC UNAVAILABLE anywhere in the cause chain. */
export function isUnavailable(err: unknown): boolean {
  for (let e = err; e; e = (e as { cause?: unknown }).cause) {
    if (isGrpcServiceError(e) && Number(e.code) === GRPC_UNAVAILABLE) return true;
  }
  return false;
}
